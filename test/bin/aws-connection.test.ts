// The CLI on AWS: one profile and one region for both DescribeStacks and the SigV4-signed admin calls, and every
// credential, region, stack or permission failure as one sentence that says what to do next. Nothing is mocked:
// the real SDK reads profiles from temporary AWS config files and talks to local stand-ins for CloudFormation
// (through the SDK's own AWS_ENDPOINT_URL_CLOUDFORMATION) and for API Gateway (the stack's ApiUrl output).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CliError, connect, explainAwsError, type AwsTarget } from '../../bin/cli/admin-client.js';

interface Received {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A local HTTP server that records what it receives and answers with `respond`. */
async function standIn(respond: (request: Received, response: ServerResponse) => void) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const entry = { url: request.url ?? '', headers: request.headers, body };
      received.push(entry);
      respond(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const xml = (response: ServerResponse, status: number, body: string) => {
  response.writeHead(status, { 'content-type': 'text/xml' });
  response.end(body);
};
const cloudFormationError = (response: ServerResponse, status: number, code: string, message: string) =>
  xml(
    response,
    status,
    `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>${code}</Code>` +
      `<Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
  );

const DENIED_PRINCIPAL = 'arn:aws:sts::123456789012:assumed-role/ReadOnly/alice';

let api: Awaited<ReturnType<typeof standIn>>;
let cloudFormation: Awaited<ReturnType<typeof standIn>>;
/** What the CloudFormation stand-in answers to DescribeStacks; a test may replace it. */
let describeStacks: (response: ServerResponse) => void;

beforeAll(async () => {
  api = await standIn((request, response) => {
    if (request.url.endsWith('/admin/flags')) {
      // API Gateway's own refusal of a signed call: no problem body, an x-amzn-ErrorType header.
      response.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' });
      response.end(
        JSON.stringify({
          message: `User: ${DENIED_PRINCIPAL} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/v1/GET/admin/flags`,
        }),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ tenants: 0, shards: [] }));
  });
  cloudFormation = await standIn((_request, response) => describeStacks(response));
});
afterAll(async () => {
  await api.close();
  await cloudFormation.close();
});

let awsDir: string;
beforeEach(() => {
  describeStacks = (response) =>
    xml(
      response,
      200,
      `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
        `<StackName>HeadroomApi</StackName><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime>` +
        `<Outputs><member><OutputKey>ApiUrl</OutputKey><OutputValue>${api.url}/v1/</OutputValue></member></Outputs>` +
        `</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
    );
  // A fresh directory per test: the SDK caches shared config files by path.
  awsDir = mkdtempSync(join(tmpdir(), 'headroom-aws-'));
  writeFileSync(
    join(awsDir, 'config'),
    '[default]\nregion = us-east-1\n\n[profile ops]\nregion = eu-west-1\n\n[profile no-keys]\nregion = eu-west-1\n',
  );
  writeFileSync(
    join(awsDir, 'credentials'),
    '[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n\n' +
      '[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = ops-secret\n',
  );
  vi.stubEnv('AWS_CONFIG_FILE', join(awsDir, 'config'));
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(awsDir, 'credentials'));
  vi.stubEnv('AWS_ENDPOINT_URL_CLOUDFORMATION', cloudFormation.url);
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  for (const name of ['AWS_REGION', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'])
    vi.stubEnv(name, undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(awsDir, { recursive: true, force: true });
  api.received.length = 0;
  cloudFormation.received.length = 0;
});

const signedBy = (accessKeyId: string, region: string, service: string) =>
  new RegExp(`^AWS4-HMAC-SHA256 Credential=${accessKeyId}/\\d{8}/${region}/${service}/aws4_request, `);

describe('connecting to a deployed stack', () => {
  it('--profile chooses the credentials and the region for DescribeStacks and for the signed admin calls', async () => {
    const client = await connect({ stack: 'HeadroomApi', profile: 'ops' });
    await client.request('GET', '/admin/status');
    expect(cloudFormation.received[0]?.body).toContain('Action=DescribeStacks');
    expect(cloudFormation.received[0]?.body).toContain('StackName=HeadroomApi');
    expect(cloudFormation.received[0]?.headers.authorization).toMatch(signedBy('AKIDOPS', 'eu-west-1', 'cloudformation'));
    expect(api.received[0]?.url).toBe('/v1/admin/status');
    expect(api.received[0]?.headers.authorization).toMatch(signedBy('AKIDOPS', 'eu-west-1', 'execute-api'));
  });

  it('--region overrides the profile’s region for both calls', async () => {
    const client = await connect({ stack: 'HeadroomApi', profile: 'ops', region: 'us-west-2' });
    await client.request('GET', '/admin/status');
    expect(cloudFormation.received[0]?.headers.authorization).toMatch(signedBy('AKIDOPS', 'us-west-2', 'cloudformation'));
    expect(api.received[0]?.headers.authorization).toMatch(signedBy('AKIDOPS', 'us-west-2', 'execute-api'));
  });

  it('without --profile the default profile signs both calls', async () => {
    const client = await connect({ stack: 'HeadroomApi' });
    await client.request('GET', '/admin/status');
    expect(cloudFormation.received[0]?.headers.authorization).toMatch(signedBy('AKIDDEFAULT', 'us-east-1', 'cloudformation'));
    expect(api.received[0]?.headers.authorization).toMatch(signedBy('AKIDDEFAULT', 'us-east-1', 'execute-api'));
  });

  it('an unknown profile is refused before any call to AWS', async () => {
    const error = await connect({ stack: 'HeadroomApi', profile: 'nope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toBe(
      `AWS profile nope was not found in ${join(awsDir, 'config')} or ${join(awsDir, 'credentials')}: ` +
        'check the name with `aws configure list-profiles`, or set it up with `aws configure sso --profile nope`.',
    );
    expect(cloudFormation.received).toHaveLength(0);
  });

  it('a stack that does not exist is named with its region, and how to deploy it', async () => {
    describeStacks = (response) => cloudFormationError(response, 400, 'ValidationError', 'Stack with id HeadroomApi does not exist');
    await expect(connect({ stack: 'HeadroomApi', profile: 'ops' })).rejects.toThrow(
      new CliError(
        'Stack HeadroomApi does not exist in eu-west-1 (profile ops): deploy it with `npx cdk deploy --all`, or pass the right --region/--stack.',
      ),
    );
  });

  it('an expired session token on DescribeStacks says to refresh the credentials', async () => {
    describeStacks = (response) =>
      cloudFormationError(response, 400, 'ExpiredToken', 'The security token included in the request is expired');
    await expect(connect({ stack: 'HeadroomApi', profile: 'ops' })).rejects.toThrow(
      /^Your AWS credentials for profile ops are expired or invalid \(ExpiredToken\): refresh them with `aws sso login --profile ops`/,
    );
  });

  it('DescribeStacks denied names the principal and the permission', async () => {
    describeStacks = (response) =>
      cloudFormationError(
        response,
        403,
        'AccessDenied',
        `User: ${DENIED_PRINCIPAL} is not authorized to perform: cloudformation:DescribeStacks on resource: arn:aws:cloudformation:eu-west-1:123456789012:stack/HeadroomApi/*`,
      );
    await expect(connect({ stack: 'HeadroomApi', profile: 'ops' })).rejects.toThrow(
      `${DENIED_PRINCIPAL} may not read stack HeadroomApi in eu-west-1 (profile ops) (cloudformation:DescribeStacks denied)`,
    );
  });

  it('a profile without keys says to sign in, before any call to AWS', async () => {
    await expect(connect({ stack: 'HeadroomApi', profile: 'no-keys' })).rejects.toThrow(
      /^No AWS credentials found for profile no-keys: sign in with `aws sso login --profile no-keys`/,
    );
    expect(cloudFormation.received).toHaveLength(0);
  });

  it('a 403 from API Gateway on an admin route says the principal needs execute-api:Invoke', async () => {
    const client = await connect({ stack: 'HeadroomApi', profile: 'ops' });
    const error = await client.request('GET', '/admin/flags').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^${DENIED_PRINCIPAL} may not call the admin API of stack HeadroomApi \\(403\\): it needs execute-api:Invoke on the admin routes`,
      ),
    );
  });
});

describe('explaining AWS errors', () => {
  const target: AwsTarget = { stack: 'HeadroomApi', region: 'eu-west-1', profile: 'ops' };
  // Shaped like the SDK's: a service error's name is its code, with $metadata; provider errors have no $metadata.
  const sdkError = (name: string, message: string, httpStatusCode?: number) =>
    Object.assign(new Error(message), { name, ...(httpStatusCode ? { $metadata: { httpStatusCode } } : {}) });

  it.each([
    ['CredentialsProviderError', 'Could not load credentials from any providers', undefined, /^No AWS credentials found for profile ops: /],
    ['ExpiredToken', 'The security token included in the request is expired', 400, /^Your AWS credentials .* are expired or invalid/],
    ['ExpiredTokenException', 'The security token included in the request is expired', 403, /are expired or invalid/],
    ['InvalidClientTokenId', 'The security token included in the request is invalid.', 403, /are expired or invalid/],
    ['UnrecognizedClientException', 'The security token included in the request is invalid.', 403, /are expired or invalid/],
    [
      'CredentialsProviderError',
      'Profile nope could not be found in shared credentials file.',
      undefined,
      /^AWS profile nope was not found/,
    ],
    [
      'CredentialsProviderError',
      'Could not resolve credentials using profile: [nope] in configuration/credentials file(s).',
      undefined,
      /^AWS profile nope was not found or has no credentials in /,
    ],
    ['Error', 'Region is missing', undefined, /^No AWS region for stack HeadroomApi: pass --region/],
    [
      'ValidationError',
      'Stack with id HeadroomApi does not exist',
      400,
      /^Stack HeadroomApi does not exist in eu-west-1 .*npx cdk deploy --all/,
    ],
    [
      'AccessDenied',
      `User: ${DENIED_PRINCIPAL} is not authorized to perform: cloudformation:DescribeStacks`,
      403,
      /may not read stack HeadroomApi/,
    ],
  ])('%s (%s) becomes one sentence with the next step', (name, message, status, expected) => {
    const explained = explainAwsError(sdkError(name, message, status), target, 'cloudformation:DescribeStacks');
    expect(explained).toBeInstanceOf(CliError);
    expect(explained.message).toMatch(expected);
    expect(explained.message).not.toMatch(/\n|\s+at /);
  });

  it('a 403 on an admin route is about execute-api:Invoke, not DescribeStacks', () => {
    const explained = explainAwsError(sdkError('AccessDeniedException', 'Forbidden', 403), target, 'execute-api:Invoke');
    expect(explained.message).toMatch(
      /^Your AWS principal may not call the admin API of stack HeadroomApi \(403\): it needs execute-api:Invoke/,
    );
  });

  it('an error it does not know keeps its code and message, with the stack and region', () => {
    const explained = explainAwsError(sdkError('Throttling', 'Rate exceeded', 400), target, 'cloudformation:DescribeStacks');
    expect(explained.message).toBe(
      'cloudformation:DescribeStacks for stack HeadroomApi in eu-west-1 (profile ops) failed (Throttling: Rate exceeded); check --stack, --region and --profile, then retry.',
    );
  });

  it('leaves a CliError as it is', () => {
    const error = new CliError('Stack HeadroomData has no ApiUrl output.');
    expect(explainAwsError(error, target, 'cloudformation:DescribeStacks')).toBe(error);
  });
});

describe('the CLI against a deployed stack', () => {
  const cli = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      // A clean environment: no AWS keys of the machine running the tests, no instance metadata endpoint.
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: awsDir,
        AWS_CONFIG_FILE: join(awsDir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        // Should a refusal regress into a call, it reaches the stand-in, not AWS.
        AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      };
      execFile('node', ['--import', 'tsx', 'bin/headroom.ts', ...args], { env }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

  it('an unknown --profile exits 1 with one sentence and no stack trace', async () => {
    const { code, stderr } = await cli(['status', '--stack', 'HeadroomApi', '--profile', 'nope']);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: AWS profile nope was not found in ${join(awsDir, 'config')} or ${join(awsDir, 'credentials')}: ` +
        'check the name with `aws configure list-profiles`, or set it up with `aws configure sso --profile nope`.\n',
    );
    expect(cloudFormation.received).toHaveLength(0);
  });

  it('a profile without credentials exits 1 saying how to sign in', async () => {
    const { code, stderr } = await cli(['--stack', 'HeadroomApi', '--profile', 'no-keys', 'status']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: No AWS credentials found for profile no-keys: sign in with `aws sso login --profile no-keys`.*\.\n$/);
  });

  it('--profile and --region without --stack are usage errors (exit 2)', async () => {
    for (const args of [
      ['--profile', 'ops', 'status'],
      ['status', '--region', 'eu-west-1'],
    ]) {
      const { code, stderr } = await cli(args);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^error: --profile and --region apply to a deployed stack; add --stack HeadroomApi/);
    }
  });

  it('passes --profile through: the stack is found and the call signed with the profile’s keys and region', async () => {
    const { code, stdout } = await cli(['--json', '--stack', 'HeadroomApi', '--profile', 'ops', 'status']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ endpoint: `${api.url}/v1`, tenants: 0 });
    expect(cloudFormation.received[0]?.headers.authorization).toMatch(signedBy('AKIDOPS', 'eu-west-1', 'cloudformation'));
    expect(api.received[0]?.headers.authorization).toMatch(signedBy('AKIDOPS', 'eu-west-1', 'execute-api'));
  });
});
