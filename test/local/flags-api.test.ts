// Flags through the admin API and their effect on the public API, on the embedded platform.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemType } from '../../lambdas/core/problems.js';
import { resolveConfig } from '../../lib/config.js';
import { startLocalPlatform, type LocalPlatform } from '../../local/embedded-platform.js';
import { apiCaller } from '../support/local-api.js';

let platform: LocalPlatform;
let dataDir: string;
let acme: string;

const call = apiCaller(() => platform.url);
const admin = (method: string, path: string, body?: unknown) => call(method, path, platform.adminToken, body);

const boolFlag = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' };
const conversation = { subject: 's', body: 'b', author: 'a' };

async function eventually(check: () => Promise<boolean>, seconds: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > seconds * 1000) throw new Error(`not within ${seconds} s`);
    await sleep(100);
  }
  return (Date.now() - started) / 1000;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'headroom-flags-'));
  platform = await startLocalPlatform({ dataDir, port: 0, demo: false, config: resolveConfig({ runtime: { flagCacheSeconds: 1 } }) });
  acme = (await admin('POST', '/admin/tenants', { id: 'acme', tier: 'enterprise', group: 'big' })).json.token;
});

afterAll(async () => {
  await platform?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('flags admin API', () => {
  it('creates, reads, lists and audits a flag, with the admin identity as principal', async () => {
    const created = await admin('PUT', '/admin/flags/new-inbox', { definition: boolFlag, reason: 'launch' });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ key: 'new-inbox', version: 1, type: 'boolean', killed: false });
    expect((await admin('GET', '/admin/flags/new-inbox')).json).toMatchObject({ key: 'new-inbox', definition: boolFlag, version: 1 });
    expect((await admin('GET', '/admin/flags')).json.items.map((f: { key: string }) => f.key)).toContain('new-inbox');
    const history = (await admin('GET', '/admin/flags/new-inbox/history')).json.items;
    expect(history[0]).toMatchObject({ action: 'create', principal: 'local-admin', reason: 'launch', version: 1 });
  });

  it('evaluates for a tenant with its tier and group, and reflects allow, rollout and kill', async () => {
    await admin('PUT', '/admin/flags/tiered', {
      definition: { ...boolFlag, targeting: { if: [{ '==': [{ var: 'group' }, 'big'] }, 'on', null] } },
    });
    expect((await admin('GET', '/admin/flags/tiered/evaluate?tenant=acme')).json).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
    });
    await admin('POST', '/admin/flags/tiered/deny', { tenants: ['acme'] });
    expect((await admin('GET', '/admin/flags/tiered/evaluate?tenant=acme')).json).toMatchObject({ value: false, variant: 'off' });
    await admin('POST', '/admin/flags/tiered/allow', { tenants: ['acme'] });
    await admin('POST', '/admin/flags/tiered/kill', { reason: 'incident 42' });
    expect((await admin('GET', '/admin/flags/tiered/evaluate?tenant=acme')).json).toMatchObject({ value: false });
    await admin('POST', '/admin/flags/tiered/enable', {});
    expect((await admin('GET', '/admin/flags/tiered/evaluate?tenant=acme')).json).toMatchObject({ value: true });
  });

  it.each([
    ['a definition that fails the flagd schema', 'PUT', '/admin/flags/bad', { definition: { ...boolFlag, state: 'ON' } }, 400, '/state'],
    ['an unknown operator', 'PUT', '/admin/flags/bad', { definition: { ...boolFlag, targeting: { nope: [] } } }, 400, '/targeting'],
    ['an invalid tenant id in a list', 'POST', '/admin/flags/new-inbox/allow', { tenants: ['Not/A/Tenant'] }, 400, 'body.tenants.0'],
    ['a percentage over 100', 'POST', '/admin/flags/new-inbox/rollout', { percent: 120 }, 400, 'body.percent'],
    ['a stale version', 'PUT', '/admin/flags/new-inbox', { definition: boolFlag, expectedVersion: 0 }, 409, undefined],
  ])('refuses %s and stores nothing', async (_name, method, path, body, status, errorPath) => {
    const before = await admin('GET', '/admin/flags');
    const result = await admin(method, path, body);
    expect(result.status).toBe(status);
    expect(result.headers.get('content-type')).toBe('application/problem+json');
    if (errorPath) expect(result.json.errors.map((e: { path: string }) => e.path)).toContain(errorPath);
    if (status === 409) expect(result.json.currentVersion).toBe(1);
    expect((await admin('GET', '/admin/flags')).json).toEqual(before.json);
  });

  it('answers 404 for an unknown flag key', async () => {
    const result = await admin('GET', '/admin/flags/does-not-exist');
    expect(result.status).toBe(404);
    expect(result.json.type).toBe(problemType('not-found'));
    expect((await admin('POST', '/admin/flags/does-not-exist/kill', { reason: 'x' })).status).toBe(404);
  });
});

describe('flags in the request path', () => {
  it('pauses and resumes one tenant’s writes within the cache TTL, leaving reads and other tenants alone', async () => {
    const other = (await admin('POST', '/admin/tenants', { id: 'other' })).json.token;
    await admin('PUT', '/admin/flags/tenant.writes-paused', { definition: boolFlag });
    await admin('POST', '/admin/flags/tenant.writes-paused/allow', { tenants: ['acme'] });
    await eventually(async () => (await call('POST', '/v1/conversations', acme, conversation)).status === 503, 5);
    const paused = await call('POST', '/v1/conversations', acme, conversation);
    expect(paused.json).toMatchObject({ type: problemType('writes-paused'), status: 503 });
    expect(paused.headers.get('retry-after')).toBe('30');
    expect((await call('GET', '/v1/conversations', acme)).status).toBe(200);
    expect((await call('POST', '/v1/conversations', other, conversation)).status).toBe(201);
    await admin('POST', '/admin/flags/tenant.writes-paused/kill', { reason: 'resume' });
    await eventually(async () => (await call('POST', '/v1/conversations', acme, conversation)).status === 201, 5);
  });
});
