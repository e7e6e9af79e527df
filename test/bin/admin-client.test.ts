// The CLI's admin client: a local admin token and the local platform's URL (found the way a second shell would),
// or on AWS an endpoint from stack outputs and SigV4-signed calls.
// CloudFormation is AWS-only, so DescribeStacks is stubbed and its request asserted; the signed HTTP request is
// received by a real local server.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CliError, connect } from '../../bin/cli/admin-client.js';
import { writePlatformUrl } from '../../local/platform-address.js';

let server: Server;
let url: string;
const received: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    received.push(request);
    if (request.url?.endsWith('/admin/tenants/ghost')) {
      response.writeHead(404, { 'content-type': 'application/problem+json' });
      response.end(JSON.stringify({ title: 'Resource not found', detail: 'Tenant ghost does not exist.' }));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ok: true }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  received.length = 0;
});

describe('admin client', () => {
  it('presents the local admin token', async () => {
    const client = await connect({ endpoint: url, adminToken: 'local-secret' });
    expect(await client.request('GET', '/admin/status')).toEqual({ ok: true });
    expect(received[0]?.headers.authorization).toBe('Bearer local-secret');
  });

  it('finds the endpoint in the stack outputs and signs calls with SigV4', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
    const send = vi.spyOn(CloudFormationClient.prototype, 'send').mockImplementation(async () => ({
      Stacks: [{ Outputs: [{ OutputKey: 'ApiUrl', OutputValue: `${url}/v1/` }] }],
    }));
    const client = await connect({ stack: 'HeadroomApi', region: 'eu-west-1' });
    const command = send.mock.calls[0]?.[0] as DescribeStacksCommand;
    expect(command).toBeInstanceOf(DescribeStacksCommand);
    expect(command.input).toEqual({ StackName: 'HeadroomApi' });
    await client.request('POST', '/admin/tenants', { id: 'acme' });
    const request = received[0]!;
    expect(request.url).toBe('/v1/admin/tenants');
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=.*host.*, Signature=[0-9a-f]{64}$/,
    );
    expect(request.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('refuses a stack without the ApiUrl output, saying what to do', async () => {
    vi.spyOn(CloudFormationClient.prototype, 'send').mockImplementation(async () => ({ Stacks: [{ Outputs: [] }] }));
    await expect(connect({ stack: 'HeadroomData', region: 'eu-west-1' })).rejects.toThrow(/has no ApiUrl output.*cdk deploy/);
  });

  it('turns a problem response into an error with its title and detail', async () => {
    const client = await connect({ endpoint: url, adminToken: 't' });
    const error = await client.request('GET', '/admin/tenants/ghost').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toBe('404 Resource not found: Tenant ghost does not exist.');
  });

  it('says how to start the platform when nothing listens', async () => {
    const client = await connect({ endpoint: 'http://127.0.0.1:9', adminToken: 't' });
    await expect(client.request('GET', '/admin/status')).rejects.toThrow(/^Nothing answers at http:\/\/127.0.0.1:9 .*npm start/);
  });

  it('finds the local platform: --endpoint, else HEADROOM_ENDPOINT, else the URL in the data directory, else PORT', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'headroom-endpoint-'));
    const endpointOf = async (endpoint?: string) =>
      (await connect({ dataDir, adminToken: 't', ...(endpoint ? { endpoint } : {}) })).endpoint;
    vi.stubEnv('HEADROOM_ENDPOINT', '');
    vi.stubEnv('PORT', '9999');
    expect(await endpointOf()).toBe('http://127.0.0.1:9999');
    writePlatformUrl(dataDir, 'http://127.0.0.1:4321');
    expect(await endpointOf()).toBe('http://127.0.0.1:4321');
    vi.stubEnv('HEADROOM_ENDPOINT', 'http://127.0.0.1:5555');
    expect(await endpointOf()).toBe('http://127.0.0.1:5555');
    expect(await endpointOf('http://127.0.0.1:6666/')).toBe('http://127.0.0.1:6666');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the HTTP status of a refused call, for the commands that act on it', async () => {
    const client = await connect({ endpoint: url, adminToken: 't' });
    expect(await client.request('GET', '/admin/tenants/ghost').catch((e: unknown) => e)).toMatchObject({ status: 404 });
  });
});
