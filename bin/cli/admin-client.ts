// The CLI's only way to act: HTTP calls to the admin API. Locally it presents the platform's admin token; on AWS
// it signs each call with SigV4 using the caller's own credentials (the admin routes are IAM-authorised). One
// profile and one region serve both DescribeStacks and the signed calls, so the CLI never finds the API with one
// identity and calls it with another; and every AWS failure becomes one sentence that says what to do. Locally it
// finds the platform the way a second shell would: the URL `npm start` wrote to its data directory.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { SignatureV4 } from '@smithy/signature-v4';
import { API_URL_OUTPUT } from '../../lib/stack-names.js';
import { defaultDataDir, PLATFORM_URL_FILE, readPlatformUrl } from '../../local/platform-address.js';
import { UsageError } from './arguments.js';

/** A refused or failed call (exit 1); `status` is the admin API's HTTP status when it answered with a problem. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The local platform's URL, and what said so (named in the message when nothing answers there). */
interface LocalEndpoint {
  readonly url: string;
  readonly from: string;
}

/**
 * Without --endpoint: HEADROOM_ENDPOINT, else the URL a running `npm start` wrote to its data directory, else the
 * port `npm start` takes (PORT, default 8787); so a second shell finds the platform without being told its port.
 */
function localEndpoint(dataDir: string): LocalEndpoint {
  const configured = process.env.HEADROOM_ENDPOINT;
  if (configured) return { url: configured, from: 'HEADROOM_ENDPOINT' };
  const file = join(dataDir, PLATFORM_URL_FILE);
  const written = readPlatformUrl(dataDir);
  if (written) return { url: written, from: file };
  const port = process.env.PORT ? 'PORT' : 'the default port';
  return { url: `http://127.0.0.1:${process.env.PORT || 8787}`, from: `${port}, as no platform has written ${file}` };
}

type CredentialProvider = ReturnType<typeof fromNodeProviderChain>;

export interface AdminClient {
  request<T>(method: 'GET' | 'POST' | 'DELETE' | 'PUT', path: string, body?: unknown): Promise<T>;
  readonly endpoint: string;
}

export interface ConnectOptions {
  /** @default HEADROOM_ENDPOINT, else the platform-url of `dataDir`, else http://127.0.0.1:$PORT (8787) */
  readonly endpoint?: string;
  readonly stack?: string;
  readonly region?: string;
  /** AWS shared-config profile for DescribeStacks and for signing; its region applies unless `region` is given. */
  readonly profile?: string;
  readonly adminToken?: string;
  /** The data directory of the local platform: its admin token and URL. @default HEADROOM_DATA_DIR, else .headroom */
  readonly dataDir?: string;
}

/** Which deployed stack the CLI is talking to, as far as it is known when a call fails. */
export interface AwsTarget {
  readonly stack: string;
  readonly region?: string;
  readonly profile?: string;
}

/** The AWS action that failed: it decides whose permission a 403 is about. */
export type AwsCall = 'cloudformation:DescribeStacks' | 'execute-api:Invoke';

const EXPIRED_OR_INVALID = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  // A wrong secret key: a 403 too, but not a missing permission.
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
]);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException']);

const configFile = () => process.env.AWS_CONFIG_FILE ?? '~/.aws/config';
const credentialsFile = () => process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials';

function profileNotFound(profile: string, detail = 'was not found'): CliError {
  return new CliError(
    `AWS profile ${profile} ${detail} in ${configFile()} or ${credentialsFile()}: check the name with \`aws configure list-profiles\`, or set it up with \`aws configure sso --profile ${profile}\`.`,
  );
}

/**
 * Turns an error from the SDK (a service error's `name` is its code, with `$metadata`), from a credential provider,
 * or from API Gateway in front of the admin routes into a CliError whose message says what to do next.
 */
export function explainAwsError(error: unknown, target: AwsTarget, call: AwsCall): CliError {
  if (error instanceof CliError) return error;
  const { name = 'Error', message = String(error) } = (error ?? {}) as { name?: string; message?: string };
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const { stack, region, profile } = target;
  const withProfile = profile ? ` --profile ${profile}` : '';
  const where = `${region ?? 'your default region'}${profile ? ` (profile ${profile})` : ''}`;
  const principal = /User: (\S+) is not authorized/.exec(message)?.[1] ?? 'Your AWS principal';

  const unknownProfile = /Profile (\S+) could not be found|Could not resolve credentials using profile: \[([^\]]+)\]/.exec(message);
  if (unknownProfile)
    return profileNotFound(unknownProfile[1] ?? unknownProfile[2] ?? String(profile), 'was not found or has no credentials');
  if (EXPIRED_OR_INVALID.has(name) || /security token included in the request is (expired|invalid)|aws sso login/i.test(message)) {
    return new CliError(
      `Your AWS credentials${profile ? ` for profile ${profile}` : ''} are expired or invalid (${name}): refresh them with \`aws sso login${withProfile}\` (or new keys or session token) and retry.`,
    );
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    return new CliError(
      `No AWS credentials found${profile ? ` for profile ${profile}` : ''}: sign in with \`aws sso login${withProfile}\` or \`aws configure${withProfile}\`, or pass --profile with one that has credentials.`,
    );
  }
  if (/Region is missing/.test(message)) {
    return new CliError(
      `No AWS region for stack ${stack}: pass --region (e.g. --region eu-west-1), set AWS_REGION, or set region for ${profile ? `profile ${profile}` : 'your profile'} in ${configFile()}.`,
    );
  }
  if (name === 'ValidationError' && /does not exist/.test(message)) {
    return new CliError(
      `Stack ${stack} does not exist in ${where}: deploy it with \`npx cdk deploy --all\`, or pass the right --region/--stack.`,
    );
  }
  if (call === 'execute-api:Invoke' && /Missing Authentication Token/.test(message)) {
    return new CliError(
      `The admin API of stack ${stack} has no such route (API Gateway says "Missing Authentication Token"): the stack may be older than this CLI; deploy it with \`npx cdk deploy --all\`.`,
    );
  }
  if (DENIED.has(name) || status === 403 || /is not authorized to perform/.test(message)) {
    return call === 'execute-api:Invoke'
      ? new CliError(
          `${principal} may not call the admin API of stack ${stack} (403): it needs execute-api:Invoke on the admin routes (arn:aws:execute-api:<region>:<account>:<api-id>/*/*/admin/*); grant it, or pass --profile with a role that has it.`,
        )
      : new CliError(
          `${principal} may not read stack ${stack} in ${where} (cloudformation:DescribeStacks denied): grant it that permission, or pass --profile with a role that has it.`,
        );
  }
  const code = (error as { code?: string } | undefined)?.code;
  if (call === 'cloudformation:DescribeStacks' && code !== undefined && /^E[A-Z_]+$/.test(code)) {
    return new CliError(`Cannot reach CloudFormation in ${where} (${message}): check --region and your network, then retry.`);
  }
  return new CliError(
    `${call} for stack ${stack} in ${where} failed (${name}: ${message}); check --stack, --region and --profile, then retry.`,
  );
}

// AWS modules load only for --stack, so local commands start fast.
async function awsConnection(
  options: ConnectOptions & { stack: string },
): Promise<{ endpoint: string; signer: SignatureV4; target: AwsTarget }> {
  const { stack, profile } = options;
  let target: AwsTarget = { stack, profile, region: options.region };
  try {
    const [
      { loadConfig, loadSharedConfigFiles, NODE_REGION_CONFIG_FILE_OPTIONS, NODE_REGION_CONFIG_OPTIONS },
      { fromNodeProviderChain: credentialChain },
    ] = await Promise.all([import('@smithy/core/config'), import('@aws-sdk/credential-providers')]);
    if (profile) {
      // The provider chain would fall through a misspelt profile to the instance role, or fail with no name in it.
      const { configFile, credentialsFile } = await loadSharedConfigFiles();
      if (!Object.hasOwn(configFile, profile) && !Object.hasOwn(credentialsFile, profile)) throw profileNotFound(profile);
    }
    // The SDK's own lookup (AWS_REGION, then the profile's region), resolved once: the stack's region is the API's.
    const region = options.region ?? (await loadConfig(NODE_REGION_CONFIG_OPTIONS, { ...NODE_REGION_CONFIG_FILE_OPTIONS, profile })());
    target = { ...target, region };
    // One memoised provider for both calls, so an SSO or MFA-backed profile resolves once.
    const credentials = credentialChain(profile ? { profile } : {});
    const endpoint = await endpointFromStack(stack, { region, profile, credentials });
    return { endpoint, signer: await sigV4Signer(region, credentials), target };
  } catch (error) {
    throw explainAwsError(error, target, 'cloudformation:DescribeStacks');
  }
}

async function endpointFromStack(
  stack: string,
  config: { region: string; profile?: string; credentials: CredentialProvider },
): Promise<string> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cloudFormation = new CloudFormationClient(config);
  const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stack }));
  const url = Stacks?.[0]?.Outputs?.find((output) => output.OutputKey === API_URL_OUTPUT)?.OutputValue;
  if (!url)
    throw new CliError(`Stack ${stack} has no ${API_URL_OUTPUT} output. Is it the API stack? Deploy with \`npx cdk deploy --all\`.`);
  return url;
}

function localAdminToken(options: ConnectOptions): string {
  const token = options.adminToken ?? process.env.HEADROOM_ADMIN_TOKEN;
  if (token) return token;
  const file = join(options.dataDir ?? defaultDataDir(), 'admin-token');
  if (!existsSync(file)) {
    throw new CliError(
      `No admin token in ${file}: start the platform with \`npm start\` (it writes one there), run the CLI with the platform's HEADROOM_DATA_DIR, or set HEADROOM_ADMIN_TOKEN.`,
    );
  }
  return readFileSync(file, 'utf8').trim();
}

interface ProblemBody {
  readonly title?: string;
  readonly detail?: string;
  readonly errors?: readonly { path: string; message: string }[];
}

async function sigV4Signer(region: string, credentials: CredentialProvider): Promise<SignatureV4> {
  const [{ Sha256 }, { SignatureV4: Signer }] = await Promise.all([import('@aws-crypto/sha256-js'), import('@smithy/signature-v4')]);
  return new Signer({ service: 'execute-api', region, credentials, sha256: Sha256 });
}

export async function connect(options: ConnectOptions): Promise<AdminClient> {
  const aws = options.stack === undefined ? undefined : await awsConnection({ ...options, stack: options.stack });
  const { url: address, from } = aws
    ? { url: aws.endpoint, from: `the ${API_URL_OUTPUT} output of stack ${options.stack}` }
    : options.endpoint !== undefined
      ? { url: options.endpoint, from: '--endpoint' }
      : localEndpoint(options.dataDir ?? defaultDataDir());
  if (!URL.canParse(address)) {
    throw new UsageError(`Not a URL: ${JSON.stringify(address)} (taken from ${from}); give one such as http://127.0.0.1:8787.`);
  }
  const endpoint = address.replace(/\/$/, '');
  const base = new URL(endpoint);
  const adminToken = aws ? undefined : localAdminToken(options);

  return {
    endpoint,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base);
      const payload = body === undefined ? undefined : JSON.stringify(body);
      let headers: Record<string, string> = {
        host: url.host,
        accept: 'application/json',
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      };
      if (aws) {
        const query = Object.fromEntries(url.searchParams);
        const { HttpRequest } = await import('@smithy/protocol-http');
        // Signing resolves credentials, which can expire during a long --watch.
        const signed = await aws.signer
          .sign(
            new HttpRequest({ method, protocol: url.protocol, hostname: url.hostname, path: url.pathname, query, headers, body: payload }),
          )
          .catch((error: unknown) => {
            throw explainAwsError(error, aws.target, 'execute-api:Invoke');
          });
        headers = signed.headers;
      } else {
        headers.authorization = `Bearer ${adminToken}`;
      }
      let response: Response;
      try {
        response = await fetch(url, { method, headers, body: payload });
      } catch (error) {
        const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
        const advice = aws
          ? 'check your network and --region, then retry'
          : 'start the platform with `npm start`, or point the CLI at a running one with HEADROOM_DATA_DIR=<its data directory> or --endpoint <url> (--stack <name> for AWS)';
        throw new CliError(
          `Nothing answers at ${endpoint} (${cause?.code ?? cause?.message ?? (error as Error).message}; taken from ${from}); ${advice}.`,
        );
      }
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        throw new CliError(
          `${endpoint} (taken from ${from}) answered ${response.status} with something other than JSON: it is not a Headroom admin API.`,
        );
      }
      if (!response.ok) {
        const problem = (parsed ?? {}) as ProblemBody;
        // A 403 without a problem body is API Gateway refusing the signed call before the platform sees it.
        if (aws && response.status === 403 && problem.title === undefined) {
          const name = response.headers.get('x-amzn-errortype')?.split(':')[0] ?? 'AccessDeniedException';
          const message = (parsed as { message?: string } | undefined)?.message ?? text;
          throw explainAwsError({ name, message, $metadata: { httpStatusCode: 403 } }, aws.target, 'execute-api:Invoke');
        }
        const fields = problem.errors?.map((error) => `  ${error.path}: ${error.message}`).join('\n');
        throw new CliError(
          `${response.status} ${problem.title ?? response.statusText}: ${problem.detail ?? text}${fields ? `\n${fields}` : ''}`,
          response.status,
        );
      }
      return parsed as T;
    },
  };
}
