// The reconciler against real engines (DynamoDB Local for the shards, usage counters and passes; SQLite FTS5 for
// search): damage made behind the platform's back is found and repaired in one pass, a newer document is never
// overwritten, a repaired counter is not counted again by a late job, pacing holds, a crashed pass resumes, and a
// tenant divergent in two passes in a row is what pages.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoConversationStore } from '../../../../lambdas/adapters/aws/dynamo-conversation-store.js';
import { DynamoRepairPassStore } from '../../../../lambdas/adapters/aws/dynamo-repair-pass-store.js';
import { DynamoTenantItems } from '../../../../lambdas/adapters/aws/dynamo-tenant-items.js';
import { DynamoUsageStore } from '../../../../lambdas/adapters/aws/dynamo-usage-store.js';
import { SqliteSearchIndex } from '../../../../lambdas/adapters/local/sqlite-search-index.js';
import { MemoryControlStore } from '../../../../lambdas/adapters/memory/memory-control-store.js';
import type { Job } from '../../../../lambdas/core/jobs/jobs.js';
import { minuteOf } from '../../../../lambdas/core/jobs/usage-meter.js';
import { systemClock } from '../../../../lambdas/core/ports.js';
import { derivedDataRepair, type RepairDeps, type RepairPassStore } from '../../../../lambdas/core/repair/derived-data-repair.js';
import { DEFAULT_REPAIR_SETTINGS } from '../../../../lambdas/core/repair/repair-settings.js';
import { toSearchDocument } from '../../../../lambdas/core/search/search-index.js';
import { tableOfShard } from '../../../../lambdas/core/tenancy/shard-topology.js';
import type { ShardName, TenantId } from '../../../../lambdas/core/tenancy/tenancy.js';
import { controlKeys } from '../../../../lambdas/schema.js';
import { createTestTables, type TestTables } from '../../../support/dynamo.js';

const G = 'g1';
let tables: TestTables;
let dir: string;
let index: SqliteSearchIndex;
let control: MemoryControlStore;
let usage: DynamoUsageStore;
let passes: DynamoRepairPassStore;
const reported: { view: string; tenant?: string; repaired?: number; divergent?: number; persistent?: number }[] = [];

beforeEach(async () => {
  tables = await createTestTables(1);
  dir = mkdtempSync(join(tmpdir(), 'headroom-repair-'));
  index = new SqliteSearchIndex(join(dir, 'search.sqlite'));
  await index.ensureGeneration(G);
  control = new MemoryControlStore();
  usage = new DynamoUsageStore(tables.doc, tables.controlTable);
  passes = new DynamoRepairPassStore(tables.doc, tables.controlTable);
  reported.length = 0;
});
afterEach(() => {
  index.close();
  rmSync(dir, { recursive: true, force: true });
});

const items = (shard: ShardName) => new DynamoTenantItems(tables.doc, tableOfShard(tables.topology, shard));

function reconciler(overrides: Partial<RepairDeps> = {}) {
  return derivedDataRepair({
    store: passes,
    control,
    items,
    search: { index, writeGenerations: async () => [G] },
    usage,
    settings: { ...DEFAULT_REPAIR_SETTINGS, settleSeconds: 0, itemsPerSecond: 10_000 },
    clock: systemClock,
    sleep,
    suffix: () => Math.random().toString(16).slice(2, 10).padEnd(8, '0'),
    recheckDelayMs: 1,
    reporter: {
      tenantChecked: (view, tenant, repaired, divergent) => reported.push({ view, tenant, repaired, divergent }),
      passCompleted: (view, persistent) => reported.push({ view, persistent }),
    },
    ...overrides,
  });
}

/** A tenant with conversations and comments, indexed and metered as the pipeline would. */
async function seedTenant(tenantId: string, conversations: number, commentsEach: number) {
  await control.createTenant({
    tenantId: tenantId as TenantId,
    shard: 'shard-0' as ShardName,
    epoch: 1,
    group: tenantId,
    tier: 'standard',
    status: 'active',
    createdAt: new Date().toISOString(),
    tokenHash: `hash-${tenantId}`,
    usageKey: `key-${tenantId}`,
  });
  const store = new DynamoConversationStore(tables.doc, tables.topology[0]!.table, tenantId as TenantId, 1);
  const jobs: Job[] = [];
  const at = new Date().toISOString();
  for (let c = 0; c < conversations; c++) {
    const id = `c${String(c).padStart(3, '0')}`;
    await store.createConversation({
      id,
      subject: `s${c}`,
      body: 'b',
      author: 'a',
      createdAt: at,
      updatedAt: at,
      commentCount: 0,
      version: 1,
      deleted: false,
    });
    jobs.push({ kind: 'conversation', tenantId: tenantId as TenantId, group: tenantId, key: id, v: 1, op: 'insert', committedAt: at });
    for (let m = 0; m < commentsEach; m++) {
      const commentId = `m${String(m).padStart(3, '0')}`;
      await store.addComment({ id: commentId, conversationId: id, body: 'x', author: 'a', createdAt: at, version: 1, deleted: false });
      jobs.push({
        kind: 'comment',
        tenantId: tenantId as TenantId,
        group: tenantId,
        key: `${id}/${commentId}`,
        v: 1,
        op: 'insert',
        committedAt: at,
      });
    }
  }
  for (const job of jobs) await usage.count(job);
  const source = items('shard-0' as ShardName);
  let cursor: string | undefined;
  do {
    const page = await source.page(tenantId as TenantId, cursor, 100);
    const docs = page.items.flatMap((item) => toSearchDocument(item) ?? []);
    if (docs.length > 0) await index.bulkUpsert(G, docs);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { jobs, minute: minuteOf(at) };
}

const versions = (tenantId: string) => index.scanVersions(G, tenantId as TenantId);
const counts = async (tenantId: string, minute: string) => (await usage.tenantUsage(tenantId as TenantId, minute, minute))[0];

async function runPass(repair = reconciler()) {
  for (let i = 0; i < 50; i++) {
    const outcome = await repair.tick(60_000);
    if (outcome.status === 'completed') return outcome;
  }
  throw new Error('the pass never completed');
}

describe('derived-data repair', () => {
  it('finds and repairs search documents and usage counters damaged behind the platform’s back, in one pass', async () => {
    const { minute } = await seedTenant('acme', 4, 2);
    // Damage: one document deleted from the index outright; a conversation deleted in the source whose job never
    // reached the indexer (the index keeps the live, older version); the minute's usage counter deleted.
    const gone = (await versions('acme'))[1]!;
    const sqlite = new Database(join(dir, 'search.sqlite'));
    sqlite.prepare(`DELETE FROM docs_${G} WHERE tenant = ? AND id = ?`).run('acme', gone.id);
    sqlite.close();
    const store = new DynamoConversationStore(tables.doc, tables.topology[0]!.table, 'acme' as TenantId, 1);
    expect(await store.softDeleteConversation('c003', new Date().toISOString())).toBe(true);
    await tables.doc.send(new DeleteCommand({ TableName: tables.controlTable, Key: controlKeys.tenantUsage('acme', minute) }));
    expect(await counts('acme', minute)).toBeUndefined();
    const live = (await versions('acme')).find((entry) => entry.id === 'c003')!;
    expect(live.deleted).toBe(false);

    const outcome = await runPass();
    expect(outcome).toMatchObject({ status: 'completed', tenantsChecked: 1 });
    const after = await versions('acme');
    expect(after.find((entry) => entry.id === gone.id)).toMatchObject({ v: gone.v, deleted: false });
    expect(after.find((entry) => entry.id === 'c003')).toMatchObject({ v: live.v + 1, deleted: true });
    expect(await counts('acme', minute)).toMatchObject({ conversations: 4, comments: 8 });
    const status = await reconciler().status();
    const byView = Object.fromEntries(status.views.map((view) => [view.view, view.tally]));
    expect(byView.search).toMatchObject({ found: 2, repaired: 2, divergent: 0 });
    expect(byView.usage).toMatchObject({ found: 1, repaired: 1, divergent: 0 });
    expect(reported).toContainEqual({ view: 'search', tenant: 'acme', repaired: 2, divergent: 0 });
  });

  it('a repaired usage minute is not counted again when a late insert job arrives', async () => {
    const { jobs, minute } = await seedTenant('late', 2, 0);
    await tables.doc.send(new DeleteCommand({ TableName: tables.controlTable, Key: controlKeys.tenantUsage('late', minute) }));
    // The second creation's job never reached the meter (its marker is gone too): it arrives after the repair.
    const lateJob = jobs[1]!;
    await tables.doc.send(
      new DeleteCommand({ TableName: tables.controlTable, Key: controlKeys.usageMark('late', lateJob.kind, lateJob.key, lateJob.v) }),
    );
    await runPass();
    expect(await counts('late', minute)).toMatchObject({ conversations: 2 });
    expect(await usage.count(lateJob)).toBe(false);
    expect(await usage.count(jobs[0]!)).toBe(false);
    expect(await counts('late', minute)).toMatchObject({ conversations: 2 });
  });

  it('never overwrites a newer document in the index, and reports it as still divergent', async () => {
    await seedTenant('newer', 1, 0);
    const [doc] = await versions('newer');
    const item = await items('shard-0' as ShardName).get({ pk: 'T#newer#C#c000', sk: 'META' });
    const newer = { ...toSearchDocument(item!)!, v: doc!.v + 5, subject: 'from the future' };
    await index.bulkUpsert(G, [newer]);
    await runPass();
    expect((await versions('newer'))[0]).toMatchObject({ v: doc!.v + 5 });
    const search = (await reconciler().status()).views.find((view) => view.view === 'search');
    expect(search?.tally).toMatchObject({ found: 1, repaired: 0, divergent: 1 });
    expect(search?.divergentTenants).toEqual(['newer']);
  });

  it('divergence persisting across two passes is reported as persistent (the alarm’s metric); one pass is not', async () => {
    await seedTenant('stuck', 1, 0);
    const item = await items('shard-0' as ShardName).get({ pk: 'T#stuck#C#c000', sk: 'META' });
    await index.bulkUpsert(G, [{ ...toSearchDocument(item!)!, v: 99 }]);
    const repair = reconciler({
      settings: { ...DEFAULT_REPAIR_SETTINGS, settleSeconds: 0, itemsPerSecond: 10_000, passIntervalMinutes: 1 },
    });
    await runPass(repair);
    expect(reported.filter((r) => r.persistent !== undefined && r.view === 'search')).toEqual([{ view: 'search', persistent: 0 }]);
    await repair.request({});
    await runPass(repair);
    expect(reported.filter((r) => r.persistent !== undefined && r.view === 'search').at(-1)).toEqual({ view: 'search', persistent: 1 });
    expect((await repair.status()).views.find((view) => view.view === 'search')?.persistentTenants).toBe(1);
  });

  it('reads no faster than items per second', async () => {
    await seedTenant('paced', 10, 2);
    const started = Date.now();
    await runPass(reconciler({ settings: { ...DEFAULT_REPAIR_SETTINGS, settleSeconds: 0, itemsPerSecond: 20 } }));
    // 30 items at 20 per second: at least 1.5 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });

  it('a pass resumes after a crash mid-pass, counting each tenant once', async () => {
    for (const tenant of ['t1', 't2', 't3']) await seedTenant(tenant, 1, 1);
    let saves = 0;
    const crashing: RepairPassStore = {
      list: () => passes.list(),
      put: async (pass, expected) => {
        // Crash on the save after the second tenant's check: that tenant was checked but not recorded.
        if (++saves === 4) throw new Error('crash');
        return passes.put(pass, expected);
      },
    };
    await expect(
      (async () => {
        for (;;) await reconciler({ store: crashing }).tick(60_000);
      })(),
    ).rejects.toThrow('crash');
    const outcome = await runPass();
    expect(outcome).toMatchObject({ status: 'completed', tenantsChecked: 3 });
    const status = await reconciler().status();
    expect(status.views.find((view) => view.view === 'usage')?.tally.checked).toBe(3);
  });

  it('a scheduled pass waits for its interval; an operator run for one tenant and view goes first', async () => {
    await seedTenant('solo', 1, 0);
    await seedTenant('other', 1, 0);
    const repair = reconciler();
    await runPass(repair);
    expect(await repair.tick(60_000)).toMatchObject({ status: 'idle' });
    const requested = await repair.request({ tenant: 'solo', view: 'usage' });
    const outcome = await runPass(repair);
    expect(outcome).toMatchObject({ passId: requested.id, tenantsChecked: 1 });
    await expect(repair.request({ tenant: 'nobody' })).rejects.toThrow(/No tenant nobody/);
  });
});
