// Search on the embedded platform (SQLite FTS5 behind the same port as OpenSearch) and a full index migration
// under write traffic with the runner restarted at random points: at the end, for every tenant, the new
// generation equals DynamoDB (the source of truth) by id, version and tombstone.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config.js';
import { DynamoTenantItems } from '../../lambdas/adapters/aws/dynamo-tenant-items.js';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-search-index.js';
import { toSearchDocument, type VersionEntry } from '../../lambdas/core/search/search-index.js';
import type { TenantId } from '../../lambdas/core/tenancy/tenancy.js';
import { driftOf, latestById } from '../../lambdas/core/migrations/version-diff.js';
import { localTableName } from '../../lambdas/schema.js';
import { startLocalPlatform, type LocalPlatform } from '../../local/embedded-platform.js';
import { apiCaller, eventually } from '../support/local-api.js';

let platform: LocalPlatform;
const dataDir = mkdtempSync(join(tmpdir(), 'headroom-search-'));
const tokens: Record<string, string> = {};
const TENANTS = ['acme', 'acme-corp', 'globex'];

const call = apiCaller(() => platform.url);
const admin = (method: string, path: string, body?: unknown) => call(method, path, platform.adminToken, body);
const search = (tenant: string, q: string, extra = '') => call('GET', `/v1/search?q=${encodeURIComponent(q)}${extra}`, tokens[tenant]!);

const status = async () => {
  const j = (await admin('GET', '/admin/search/migration')).json;
  if (process.env.DEBUG_MIGRATION)
    console.log('STATUS', new Date().toISOString(), j.migration?.phase, JSON.stringify(j.totals), j.migration?.lastError ?? '');
  return j;
};

beforeAll(async () => {
  platform = await startLocalPlatform({
    dataDir,
    port: 0,
    demo: false,
    visibilityTimeoutSeconds: 10,
    // Caches of one second, and migrations that wait two for every instance to see a change.
    config: resolveConfig({ runtime: { flagCacheSeconds: 1, directoryCacheSeconds: 1 } }),
    searchSettleSeconds: 2,
  });
  for (const id of TENANTS) tokens[id] = (await call('POST', '/admin/tenants', platform.adminToken, { id, tier: 'enterprise' })).json.token;
}, 120_000);

afterAll(async () => {
  stopWriters();
  await platform?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('GET /v1/search on the embedded platform', () => {
  it('finds a new comment once the pipeline indexed it, highlighted, for its own tenant only', async () => {
    const created = await call('POST', '/v1/conversations', tokens.acme!, {
      subject: 'Printer on fire',
      body: 'It smokes <b>a lot</b>',
      author: 'ann',
    });
    expect(created.status).toBe(201);
    await call('POST', `/v1/conversations/${created.json.id}/comments`, tokens.acme!, { body: 'try the extinguisher', author: 'bob' });
    const found = await eventually(
      () => search('acme', 'extinguisher'),
      (r) => r.json.items?.length === 1,
    );
    expect(found.status).toBe(200);
    expect(found.json.items[0]).toMatchObject({ kind: 'comment', conversationId: created.json.id });
    expect(found.json.items[0].highlight).toContain('<mark>extinguisher</mark>');
    expect((await search('acme-corp', 'extinguisher')).json.items).toEqual([]);
    const subject = await eventually(
      () => search('acme', 'printer'),
      (r) => r.json.items?.length === 1,
    );
    expect(subject.json.items[0].highlight).not.toContain('<b>');
  });

  it('answers any text with 200 (syntax, quotes, emoji, 10 KB) and bad parameters with problem+json 400', async () => {
    for (const q of ['"', 'AND OR NOT', 'NEAR(a b)', 'body:x*', '🔥🔥', "'; DROP TABLE docs; --", 'x'.repeat(10_240)]) {
      const response = await search('acme', q);
      expect(response.status, q.slice(0, 20)).toBe(200);
    }
    for (const bad of [
      '',
      '?q=',
      '?q=%20%20',
      `?q=${'x'.repeat(10_241)}`,
      '?q=a&limit=0',
      '?q=a&limit=51',
      '?q=a&cursor=forged.cursor',
      '?q=a&extra=1',
    ]) {
      const response = await call('GET', `/v1/search${bad}`, tokens.acme!);
      expect(response.status, bad.slice(0, 30)).toBe(400);
      expect(response.json.type).toMatch(/problems\//);
    }
  });

  it('pages with a cursor bound to the tenant and the query', async () => {
    for (let i = 0; i < 7; i++)
      await call('POST', '/v1/conversations', tokens.globex!, { subject: `Invoice ${i}`, body: 'invoice overdue', author: 'ann' });
    await eventually(
      () => search('globex', 'invoice', '&limit=50'),
      (r) => r.json.items?.length === 7,
    );
    const first = await search('globex', 'invoice', '&limit=3');
    expect(first.json.items).toHaveLength(3);
    const second = await search('globex', 'invoice', `&limit=3&cursor=${encodeURIComponent(first.json.nextCursor)}`);
    expect(second.json.items).toHaveLength(3);
    expect(new Set([...first.json.items, ...second.json.items].map((hit: { id: string }) => hit.id)).size).toBe(6);
    expect((await search('globex', 'overdue', `&cursor=${encodeURIComponent(first.json.nextCursor)}`)).status).toBe(400);
    expect((await call('GET', `/v1/search?q=invoice&cursor=${encodeURIComponent(first.json.nextCursor)}`, tokens.acme!)).status).toBe(400);
  });

  it('a deleted conversation and its comments leave the results', async () => {
    const created = await call('POST', '/v1/conversations', tokens.acme!, { subject: 'Warranty', body: 'warranty claim', author: 'ann' });
    await call('POST', `/v1/conversations/${created.json.id}/comments`, tokens.acme!, { body: 'warranty receipt attached', author: 'bob' });
    await eventually(
      () => search('acme', 'warranty'),
      (r) => r.json.items?.length === 2,
    );
    expect((await call('DELETE', `/v1/conversations/${created.json.id}`, tokens.acme!)).status).toBe(204);
    expect(
      (
        await eventually(
          () => search('acme', 'warranty'),
          (r) => r.json.items?.length === 0,
        )
      ).json.items,
    ).toEqual([]);
  });
});

let writing = true;
const stopWriters = () => {
  writing = false;
};

describe('search index migration under write traffic', () => {
  const live: Record<string, string[]> = Object.fromEntries(TENANTS.map((t) => [t, []]));
  let writes = 0;

  /** Creates, comments on, and deletes conversations of every tenant at a steady pace until told to stop. */
  async function writer(tenant: string, seed: number) {
    let n = seed;
    while (writing) {
      n = (n * 1103515245 + 12345) % 2 ** 31;
      const ids = live[tenant]!;
      if (ids.length < 3 || n % 4 === 0) {
        const created = await call('POST', '/v1/conversations', tokens[tenant]!, {
          subject: `ticket ${n}`,
          body: `refund request ${n}`,
          author: 'w',
        });
        if (created.status === 201) ids.push(created.json.id);
      } else if (n % 4 === 1) {
        const [gone] = ids.splice(n % ids.length, 1);
        await call('DELETE', `/v1/conversations/${gone}`, tokens[tenant]!);
      } else {
        await call('POST', `/v1/conversations/${ids[n % ids.length]}/comments`, tokens[tenant]!, { body: `update ${n}`, author: 'w' });
      }
      writes++;
      await sleep(20);
    }
  }

  async function sourceOfTruth(tenant: string): Promise<VersionEntry[]> {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: platform.dynamoEndpoint }));
    const profile = (await admin('GET', `/admin/tenants/${tenant}`)).json;
    const items = new DynamoTenantItems(doc, localTableName.shard(profile.shard));
    const entries: VersionEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await items.page(tenant as TenantId, cursor, 500);
      for (const item of page.items) {
        const d = toSearchDocument(item);
        if (d) entries.push({ id: d.id, v: d.v, deleted: d.deleted });
      }
      cursor = page.cursor;
    } while (cursor);
    return latestById(entries);
  }

  it('refuses a cutover before verification, completes only after every tenant moved, and loses nothing', async () => {
    const writers = TENANTS.map((tenant, i) => writer(tenant, i + 7));
    await sleep(1000);

    const started = await admin('POST', '/admin/search/migration', { to: 'g2', shadowRate: 1, soakSeconds: 0 });
    expect(started.status).toBe(202);
    expect((await admin('POST', '/admin/search/migration', { to: 'g3' })).status).toBe(409);
    const early = await admin('POST', '/admin/search/migration/cutover', { tenants: ['acme'] });
    expect(early.status).toBe(409);
    expect(early.json.detail).toMatch(/verified|copying|planned/);

    // Restart the runner at random points while it copies and verifies.
    for (let restart = 0; restart < 4; restart++) {
      await sleep(300 + Math.random() * 1200);
      await platform.restartMigrationLoop();
    }
    const verified = await eventually(
      status,
      (s) => s.migration.phase === 'cutting-over' && s.totals.tenantsVerified === TENANTS.length,
      90,
    );
    expect(verified.migration.phase).toBe('cutting-over');
    // Verified means nothing left differing, whatever was written during the scans.
    for (const tenant of verified.tenants) expect(tenant).toMatchObject({ verify: 'verified', differing: 0 });
    expect(verified.progress).toMatchObject({
      running: false,
      next: { command: `headroom search migrate cutover --tenants ${TENANTS.join(',')}` },
    });
    // While tenants still read g1, every search (shadowRate 1) also runs on g2 and is compared.
    expect((await search('globex', 'refund')).status).toBe(200);
    const shadow = (await status()).shadow;
    expect(shadow.compared).toBeGreaterThan(0);
    expect(shadow.candidateAvgMs).not.toBeNull();

    expect((await admin('POST', '/admin/search/migration/complete')).status).toBe(409);
    expect((await admin('POST', '/admin/search/migration/cutover', { tenants: ['nobody'] })).status).toBe(404);
    const first = await admin('POST', '/admin/search/migration/cutover', { tenants: ['acme'] });
    expect(first.json.cutOver).toEqual(['acme']);
    expect((await admin('POST', '/admin/search/migration/rollback', { tenants: ['acme'] })).json.rolledBack).toEqual(['acme']);
    // The cutover that completes the set starts the soak itself: no waiting for the runner's next step.
    const all = await admin('POST', '/admin/search/migration/cutover', { percent: 100 });
    expect(all).toMatchObject({
      status: 200,
      json: { phase: 'soaking', progress: { next: { command: 'headroom search migrate complete' } } },
    });
    expect((await status()).migration.phase).toBe('soaking');

    stopWriters();
    await Promise.all(writers);
    expect(writes).toBeGreaterThan(50);
    await eventually(
      async () => (await admin('GET', '/admin/queues')).json.items as { visible: number; inFlight: number }[],
      (qs) => qs.every((q) => q.visible + q.inFlight === 0),
      60,
    );

    expect((await admin('POST', '/admin/search/migration/complete')).status).toBe(202);
    const done = await eventually(status, (s) => s.migration.phase === 'completed', 60);
    console.log(JSON.stringify(done.migration.phaseTimestamps), JSON.stringify(done.totals));
    expect(done.migration.phase).toBe('completed');
    const generations = (await admin('GET', '/admin/search/generations')).json.items as { generation: string; status: string }[];
    expect(generations.map((g) => `${g.generation}:${g.status}`)).toEqual(['g2:serving']);

    const index = new SqliteSearchIndex(join(dataDir, 'search.sqlite'));
    for (const tenant of TENANTS) {
      const drift = driftOf(await sourceOfTruth(tenant), await index.scanVersions('g2', tenant as TenantId));
      expect(drift, tenant).toEqual({ lost: 0, stale: 0, resurrected: 0, extra: 0 });
    }
    index.close();
    // Reads now come from g2 for everyone, and keep working.
    await eventually(
      () => search('globex', 'refund'),
      (r) => r.status === 200 && r.json.items.length > 0,
      10,
    );
  }, 240_000);
});
