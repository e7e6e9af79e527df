// The operator CLI as an operator runs it (`node --import tsx bin/headroom.ts …` in a child process): a usage
// mistake exits 2 before anything is sent (no platform, token or credentials needed to be told), a refused or
// failed call exits 1, --help exits 0, and stderr never shows a stack trace. The calls that need a platform go to an
// embedded one in this process, found the way a second shell finds `npm start`: through its data directory.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config.js';
import { freePort } from '../../local/dynamodb-local.js';
import { startLocalPlatform, type LocalPlatform } from '../../local/embedded-platform.js';
import { PLATFORM_URL_FILE, writePlatformUrl } from '../../local/platform-address.js';
import { apiCaller, eventually } from '../support/local-api.js';

const root = resolve(import.meta.dirname, '../..');
/** A line of a Node stack trace. */
const STACK_FRAME = /^\s+at /m;

interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** No endpoint, token or data directory of the developer's own `npm start` may leak into a run. */
const { HEADROOM_ENDPOINT: _endpoint, HEADROOM_ADMIN_TOKEN: _token, HEADROOM_DATA_DIR: _dataDir, PORT: _port, ...cleanEnv } = process.env;
let emptyDataDir: string;
let closedPort: number;

/** Runs the CLI without blocking: the platform serves from this very process, so a blocking spawn would starve it. */
function headroom(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/headroom.ts', ...args], {
    cwd: root,
    env: { ...cleanEnv, HEADROOM_DATA_DIR: emptyDataDir, PORT: String(closedPort), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolveRun) => child.once('close', (status) => resolveRun({ status, stdout, stderr })));
}

beforeAll(async () => {
  emptyDataDir = mkdtempSync(join(tmpdir(), 'headroom-cli-'));
  // Free a moment ago, so nothing listens there.
  closedPort = await freePort();
});
afterAll(() => rmSync(emptyDataDir, { recursive: true, force: true }));

describe('usage errors', () => {
  it.each([
    ['a missing argument', ['tenants', 'create'], /missing required argument 'id'/],
    ['a missing required option', ['flags', 'rollout', 'new-inbox'], /required option '--percent <n>' not specified/],
    ['an unknown option', ['tenants', 'list', '--bogus'], /unknown option '--bogus'/],
    ['an unknown command', ['tenant', 'list'], /unknown command 'tenant'/],
    ['a bad tenant id', ['tenants', 'show', 'NOT/VALID'], /tenantId: tenant ids are/],
    ['a percentage over 100', ['flags', 'rollout', 'new-inbox', '--percent', '500'], /percent: must be from 0 to 100/],
    ['a limit that is not a number', ['tenants', 'list', '--limit', 'many'], /limit: /],
    ['a bad tenant in a list', ['flags', 'allow', 'new-inbox', '--tenants', 'acme,Not Valid'], /tenants\.1: tenant ids are/],
    ['a malformed route id', ['llm', 'drain', 'Not_A_Route'], /Invalid route id "Not_A_Route"/],
    ['a malformed shard name', ['tenants', 'move', 'acme', '--to', 'nowhere'], /shard names look like shard-<n>/],
    [
      'a flag file that cannot be read',
      ['flags', 'set', 'new-inbox', '--file', 'no-such-file.json'],
      /Cannot read no-such-file\.json as JSON/,
    ],
    ['both or neither of two exclusive options', ['search', 'migrate', 'cutover'], /exactly one of --tenants a,b or --percent N/],
    ['an endpoint that is not a URL', ['--endpoint', 'nowhere', 'status'], /Not a URL: "nowhere" \(taken from --endpoint\)/],
    ['AWS options without --stack', ['--profile', 'ops', 'status'], /--profile and --region apply to a deployed stack/],
  ])('%s exits 2 with what is wrong, before anything is sent', async (_what, args, message) => {
    // No platform, no admin token, no AWS credentials: a usage error is reported before any of them is needed.
    const run = await headroom(args);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('--help exits 0 and says what the exit codes mean, and what --rotate-if-exists does', async () => {
    const help = await headroom(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 done, 1 refused or failed call, 2 usage error');
    const create = await headroom(['tenants', 'create', '--help']);
    expect(create.status).toBe(0);
    expect(create.stdout).toMatch(/--rotate-if-exists\s+if the tenant already exists, rotate its API token instead/);
    expect(create.stdout).toContain('--token-only');
  });
});

describe('refused or failed calls without a platform', () => {
  it('says in one line that nothing answers, where the URL came from and what to do, and exits 1', async () => {
    const run = await headroom(['status'], { HEADROOM_ADMIN_TOKEN: 'local' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`Nothing answers at http://127.0.0.1:${closedPort} (ECONNREFUSED; taken from PORT, as no platform`);
    expect(run.stderr).toMatch(/start the platform with `npm start`, or point the CLI at a running one with HEADROOM_DATA_DIR=/);
  });

  it('names a platform-url left behind by a platform that has stopped', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'headroom-cli-stale-'));
    writePlatformUrl(dataDir, `http://127.0.0.1:${closedPort}`);
    const run = await headroom(['tenants', 'list'], { HEADROOM_DATA_DIR: dataDir, HEADROOM_ADMIN_TOKEN: 'local' });
    rmSync(dataDir, { recursive: true, force: true });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`taken from ${join(dataDir, PLATFORM_URL_FILE)}`);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('ends an answer that is not JSON (another server on the port) in one error line and exit 1', async () => {
    const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'));
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const { port } = server.address() as AddressInfo;
    const run = await headroom(['status'], { HEADROOM_ENDPOINT: `http://127.0.0.1:${port}`, HEADROOM_ADMIN_TOKEN: 'local' });
    await new Promise((closed) => server.close(closed));
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(
      `error: http://127.0.0.1:${port} (taken from HEADROOM_ENDPOINT) answered 200 with something other than JSON`,
    );
  });

  it('says where the admin token was looked for when there is none, and exits 1', async () => {
    const run = await headroom(['status']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`No admin token in ${join(emptyDataDir, 'admin-token')}`);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });
});

describe('against a running platform, found through its data directory', () => {
  let platform: LocalPlatform;
  let dataDir: string;
  const call = apiCaller(() => platform.url);
  const conversation = { subject: 's', body: 'b', author: 'a' };
  /** A second shell that knows only the platform's data directory (PORT points nowhere). */
  const cli = (...args: string[]) => headroom(args, { HEADROOM_DATA_DIR: dataDir });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'headroom-cli-platform-'));
    // Once it listens, the platform writes its URL into the data directory, as `npm start` does.
    platform = await startLocalPlatform({ dataDir, port: 0, demo: false, config: resolveConfig({ runtime: { flagCacheSeconds: 1 } }) });
  });
  afterAll(async () => {
    await platform?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds the platform by the URL in its data directory', async () => {
    const run = await cli('status', '--json');
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ endpoint: platform.url, tenants: 0 });
  });

  it('refuses to create a tenant twice (exit 1); --rotate-if-exists rotates its token instead, and --token-only prints just it', async () => {
    const created = await cli('tenants', 'create', 'acme', '--token-only');
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^hr_\S+\n$/);
    const first = created.stdout.trim();

    const again = await cli('tenants', 'create', 'acme');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^error: 409 .*Tenant acme already exists/);
    expect(again.stderr).not.toMatch(STACK_FRAME);

    const rotated = await cli('tenants', 'create', 'acme', '--rotate-if-exists', '--token-only');
    expect(rotated.status, rotated.stderr).toBe(0);
    expect(rotated.stderr).toContain('Tenant acme already existed: its API token was rotated; the old one no longer works.');
    const second = rotated.stdout.trim();
    expect(second).toMatch(/^hr_/);
    expect(second).not.toBe(first);
    expect((await call('GET', '/v1/conversations', first)).status).toBe(401);
    expect((await call('GET', '/v1/conversations', second)).status).toBe(200);

    // Without --token-only it prints the tenant and the token, as `tenants create` always has.
    const json = await cli('tenants', 'create', 'globex', '--rotate-if-exists', '--json');
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ tenant: { id: 'globex' }, token: expect.stringMatching(/^hr_/) });
  });

  it('refuses to drain a route that does not exist (exit 1), naming the routes that do', async () => {
    const run = await cli('llm', 'drain', 'haiku-use1');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('There is no LLM route named haiku-use1; the routes are sim-openai, sim-bedrock');
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('pauses a tenant’s writes with `flags allow` alone, as the README shows, and `flags unpin` resumes them', async () => {
    const token = (await call('POST', '/admin/tenants', platform.adminToken, { id: 'initech' })).json.token as string;
    const paused = await cli('flags', 'allow', 'tenant.writes-paused', '--tenants', 'initech');
    expect(paused.status, paused.stderr).toBe(0);
    const write = () => call('POST', '/v1/conversations', token, conversation);
    expect((await eventually(write, (response) => response.status === 503, 10)).json).toMatchObject({ status: 503 });
    expect((await call('GET', '/v1/conversations', token)).status).toBe(200);
    const resumed = await cli('flags', 'unpin', 'tenant.writes-paused', '--tenants', 'initech');
    expect(resumed.status, resumed.stderr).toBe(0);
    expect((await eventually(write, (response) => response.status === 201, 10)).status).toBe(201);
  });
});
