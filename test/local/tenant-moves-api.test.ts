// Tenant moves through the admin API and the CLI on the embedded platform: every bad request is refused with its
// reason and changes nothing; a move runs to `soaking` in the in-process runner while the tenant's data stays
// readable and writable through the public API; `cancel` after the cutover is refused in favour of `reverse`; a
// POST retried with its Idempotency-Key after a completed move is replayed, never written twice.
import { setTimeout as sleep } from 'node:timers/promises';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemType } from '../../lambdas/core/problems.js';
import { resolveConfig } from '../../lib/config.js';
import { startLocalPlatform, type LocalPlatform } from '../../local/embedded-platform.js';
import { apiCaller, eventually } from '../support/local-api.js';

let platform: LocalPlatform;
let dataDir: string;
let token: string;
const root = new URL('../..', import.meta.url).pathname;

const call = apiCaller(() => platform.url);
const admin = (method: string, path: string, body?: unknown) => call(method, path, platform.adminToken, body);
// Asynchronous on purpose: the platform serves from this very process, so a blocking spawn would starve it.
const cli = (...args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      'npx',
      ['headroom', ...args, '--endpoint', platform.url],
      { cwd: root, env: { ...process.env, HEADROOM_ADMIN_TOKEN: platform.adminToken }, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'headroom-moves-'));
  const config = resolveConfig({
    shards: [{ name: 'shard-0' }, { name: 'shard-1' }, { name: 'shard-2', dedicatedTo: 'bigco' }],
    runtime: { directoryCacheSeconds: 1 },
    // What this test checks is the API, not latency: a loaded build machine may take seconds per barrier round.
    tenantMove: { fenceWaitMs: 2000, backfillItemsPerSecond: 2000, catchUpLagMs: 10_000, barrierBeacons: 4, cutoverTimeoutMs: 10_000 },
  });
  platform = await startLocalPlatform({ dataDir, port: 0, demo: false, config });
  token = (await admin('POST', '/admin/tenants', { id: 'acme', tier: 'enterprise', shard: 'shard-0' })).json.token;
});
afterAll(async () => {
  await platform?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('tenant moves through the admin API', () => {
  it.each([
    ['the shard it is on', 'acme', { to: 'shard-0' }, 400, 'same-shard'],
    ['an unknown shard', 'acme', { to: 'shard-9' }, 400, 'unknown-shard'],
    ['a shard dedicated to someone else', 'acme', { to: 'shard-2' }, 400, 'dedicated-to-another'],
    ['an unknown tenant', 'nobody', { to: 'shard-1' }, 404, 'unknown-tenant'],
  ])('refuses a move to %s with its reason', async (_what, tenant, body, status, reason) => {
    const response = await admin('POST', `/admin/tenants/${tenant}/move`, body);
    expect(response.status).toBe(status);
    expect(response.json.reason).toBe(reason);
    expect((await admin('GET', '/admin/moves')).json.items).toEqual([]);
  });

  it('refuses a malformed target before anything else', async () => {
    const response = await admin('POST', '/admin/tenants/acme/move', { to: 'elsewhere' });
    expect(response).toMatchObject({ status: 400, json: { type: problemType('validation-failed') } });
  });

  it('moves a tenant that keeps working, refuses a second move and a cancel after cutover, and shows it in the CLI', async () => {
    const created = await call('POST', '/v1/conversations', token, { subject: 'before', body: 'b', author: 'a' });
    expect(created.status).toBe(201);
    const started = await admin('POST', '/admin/tenants/acme/move', { to: 'shard-1' });
    expect(started).toMatchObject({ status: 202, json: { phase: 'copying', from: 'shard-0', to: 'shard-1' } });
    expect(await admin('POST', '/admin/tenants/acme/move', { to: 'shard-1' })).toMatchObject({
      status: 409,
      json: { reason: 'already-moving' },
    });

    // Writes keep being accepted while the move runs.
    const during = await call('POST', `/v1/conversations/${created.json.id}/comments`, token, { body: 'during', author: 'a' });
    expect(during.status).toBe(201);
    for (let i = 0; i < 500; i++) {
      const move = await admin('GET', '/admin/moves/acme');
      if (move.json.phase === 'soaking') break;
      await sleep(100);
    }
    const move = (await admin('GET', '/admin/moves/acme')).json;
    expect(move).toMatchObject({ phase: 'soaking', cutoverAttempts: 1, verify: { missing: 0, mismatched: 0, extra: 0 } });
    expect((await admin('GET', '/admin/tenants/acme')).json).toMatchObject({ shard: 'shard-1', epoch: 2 });
    expect(await admin('POST', '/admin/moves/acme/cancel')).toMatchObject({ status: 409 });

    const read = await call('GET', `/v1/conversations/${created.json.id}`, token);
    expect(read.json.comments.items.map((comment: { body: string }) => comment.body)).toEqual(['during']);
    expect((await call('POST', `/v1/conversations/${created.json.id}/comments`, token, { body: 'after', author: 'a' })).status).toBe(201);

    expect((await admin('GET', '/admin/shards')).status).toBe(200);
    const listed = await cli('shards', 'list', '--json');
    expect(listed.status, listed.stderr).toBe(0);
    const shards = JSON.parse(listed.stdout) as {
      name: string;
      kind: string;
      tenants: number;
      dedicatedTo: string | null;
    }[];
    expect(shards.map(({ name, kind, dedicatedTo }) => ({ name, kind, dedicatedTo }))).toEqual([
      { name: 'shard-0', kind: 'shared', dedicatedTo: null },
      { name: 'shard-1', kind: 'shared', dedicatedTo: null },
      { name: 'shard-2', kind: 'dedicated', dedicatedTo: 'bigco' },
    ]);
    expect(shards.find((shard) => shard.name === 'shard-1')?.tenants).toBe(1);
    const status = await cli('moves', 'status', 'acme', '--watch');
    expect(status.status, status.stderr).toBe(0);
    const lines = status.stdout.trimEnd().split('\n');
    // A soaking move shows what it waits for, not a percentage, and the watch ends with the command to run next.
    expect(lines[0]).toMatch(/^acme: shard-0 → shard-1 {2}soaking {2}acme reads and writes shard-1 /);
    expect(status.stdout).not.toMatch(/%/);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^next: npx headroom moves complete acme --endpoint ${platform.url}( \\(after the soak, at [\\d:]+\\))?$`),
    );
    // A malformed shard name is a usage error (exit 2), caught before anything is sent; a refused move exits 1.
    const malformed = await cli('tenants', 'move', 'acme', '--to', 'nowhere');
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toMatch(/shard names look like shard-<n>/);
    const refused = await cli('tenants', 'move', 'acme', '--to', 'shard-9');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^error: 40\d /);
  }, 120_000);

  it('replays a POST retried with the same Idempotency-Key after the move completed, and writes no second conversation', async () => {
    const retrier = (await admin('POST', '/admin/tenants', { id: 'retrier', tier: 'standard', shard: 'shard-0' })).json.token as string;
    const body = { subject: 'order 7', body: 'b', author: 'a' };
    const headers = { 'idempotency-key': 'order-7' };
    const first = await call('POST', '/v1/conversations', retrier, body, headers);
    expect(first.status).toBe(201);

    expect((await admin('POST', '/admin/tenants/retrier/move', { to: 'shard-1' })).status).toBe(202);
    const soaking = await eventually(
      () => admin('GET', '/admin/moves/retrier'),
      (move) => move.json.phase === 'soaking',
      60,
    );
    // The verify compared the key like any item, and says so per kind.
    expect(soaking.json).toMatchObject({
      phase: 'soaking',
      verify: { processed: 2, byKind: { conversation: 1, idempotency: 1 }, matching: 2, missing: 0, mismatched: 0, extra: 0 },
    });
    // `complete` is refused until twice the directory cache time after the flip.
    const completing = await eventually(
      () => admin('POST', '/admin/moves/retrier/complete'),
      (response) => response.status === 202,
    );
    expect(completing.status).toBe(202);
    const completed = await eventually(
      () => admin('GET', '/admin/moves/retrier'),
      (move) => move.json.phase === 'completed',
      60,
    );
    expect(completed.json).toMatchObject({ phase: 'completed', cleanedUp: 2 });
    expect((await admin('GET', '/admin/tenants/retrier')).json).toMatchObject({ shard: 'shard-1', epoch: 2 });

    const again = await call('POST', '/v1/conversations', retrier, body, headers);
    expect(again.status).toBe(201);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const listed = await call('GET', '/v1/conversations?limit=50', retrier);
    expect(listed.json.items.map((conversation: { id: string }) => conversation.id)).toEqual([first.json.id]);
  }, 120_000);
});
