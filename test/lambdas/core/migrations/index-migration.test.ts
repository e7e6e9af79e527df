// The index migration's rules, on in-memory stores and a real SQLite FTS5 index: phases in order, refusals that say
// why, and the invariant under concurrent writes and crashes at random points: the new generation ends equal to
// the source of truth (nothing lost, stale or resurrected).
import { beforeEach, describe, expect, it } from 'vitest';
import { SqliteSearchIndex } from '../../../../lambdas/adapters/local/sqlite-search-index.js';
import { MemoryControlStore } from '../../../../lambdas/adapters/memory/memory-control-store.js';
import { MemoryFlagStore } from '../../../../lambdas/adapters/memory/memory-flag-store.js';
import { MemoryMigrationStore } from '../../../../lambdas/adapters/memory/memory-migration-store.js';
import { MemorySearchGenerationStore } from '../../../../lambdas/adapters/memory/memory-search-generation-store.js';
import { MemoryTenantItems } from '../../../../lambdas/adapters/memory/memory-tenant-items.js';
import { compileToFlagd } from '../../../../lambdas/core/flags/flag-definitions.js';
import { flagAdmin } from '../../../../lambdas/core/flags/flag-admin.js';
import type { IndexMigrationDeps } from '../../../../lambdas/core/migrations/index-migration.js';
import { indexMigration, percentOf } from '../../../../lambdas/core/migrations/index-migration-admin.js';
import { runMigrationSteps, type RunOutcome } from '../../../../lambdas/core/migrations/migration-runner.js';
import { systemClock } from '../../../../lambdas/core/ports.js';
import { cachedGenerations, READ_GENERATION_FLAG } from '../../../../lambdas/core/search/search-generations.js';
import { indexJob } from '../../../../lambdas/core/search/search-indexer.js';
import { toSearchDocument, type VersionEntry } from '../../../../lambdas/core/search/search-index.js';
import { createTenantDirectory } from '../../../../lambdas/core/tenancy/tenant-directory.js';
import type { TenantId, TenantProfile } from '../../../../lambdas/core/tenancy/tenancy.js';
import { byId, driftOf } from '../../../../lambdas/core/migrations/version-diff.js';
import { describeIndexMigration } from '../../../../lambdas/core/migrations/index-migration-report.js';
import { shardKeys } from '../../../../lambdas/schema.js';
import { Crash, crashing } from '../../../support/crash-injection.js';

const TENANTS = ['acme', 'beta', 'gamma', 'delta'] as TenantId[];
const NO_SHADOW = { compared: 0, mismatched: 0, controlAvgMs: null, candidateAvgMs: null, samples: [] };

const profile = (tenantId: TenantId): TenantProfile => ({
  tenantId,
  shard: 'shard-0',
  epoch: 1,
  group: tenantId,
  tier: 'standard',
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  tokenHash: `hash-${tenantId}`,
  usageKey: tenantId,
});

let items: MemoryTenantItems;
let index: SqliteSearchIndex;
let control: MemoryControlStore;
let flags: ReturnType<typeof flagAdmin>;
let flagStore: MemoryFlagStore;
let store: MemoryMigrationStore;
let generations: MemorySearchGenerationStore;
let crashRate = 0;
let migration: ReturnType<typeof indexMigration>;
let deps: IndexMigrationDeps;
let version = new Map<string, number>();
let counter = 0;

/** A change committed to the source of truth, then delivered to the indexer (dual-write) like a job. */
async function write(tenantId: TenantId, kind: 'create' | 'update' | 'delete', conversationId?: string, deliver = true): Promise<string> {
  const id = conversationId ?? `c${String(++counter).padStart(6, '0')}`;
  const v = (version.get(`${tenantId}/${id}`) ?? 0) + 1;
  version.set(`${tenantId}/${id}`, v);
  items.put({
    ...shardKeys.conversation(tenantId, id),
    type: 'conversation',
    tenantId,
    id,
    subject: `subject ${v}`,
    body: `refund request ${id}`,
    author: 'ann',
    updatedAt: new Date().toISOString(),
    v,
    deleted: kind === 'delete',
  });
  if (deliver) await deliverJob(tenantId, id, v);
  return id;
}

const directory = () => createTenantDirectory({ store: control, clock: systemClock, ttlSeconds: 0 });
async function deliverJob(tenantId: TenantId, id: string, v: number) {
  await indexJob(
    { kind: 'conversation', tenantId, group: tenantId, key: id, v, op: 'update', committedAt: new Date().toISOString() },
    {
      directory: directory(),
      items: () => items,
      search: index,
      generations: cachedGenerations(generations, systemClock, 0),
      ensured: new Set(),
      recordLag: () => undefined,
      now: () => new Date(),
    },
  );
}

async function source(tenantId: TenantId): Promise<VersionEntry[]> {
  return items
    .all()
    .filter((item) => item.tenantId === tenantId)
    .map((item) => toSearchDocument(item))
    .flatMap((doc) => (doc ? [{ id: doc.id, v: doc.v, deleted: doc.deleted }] : []))
    .sort(byId);
}

/** Steps the migration like a runner that crashes and restarts, until it reaches `phase` or waits there. */
async function runUntil(phase: string, between?: () => Promise<void>, maxRuns = 2000, budgetMs = 50): Promise<void> {
  for (let run = 0; run < maxRuns; run++) {
    let outcome: RunOutcome | undefined;
    try {
      outcome = await runMigrationSteps('search-g2', { store, playbooks: [migration.playbook as never], clock: systemClock, budgetMs });
    } catch (error) {
      if (!(error instanceof Crash)) throw error;
    }
    await between?.();
    const record = await store.get('search-g2');
    if (record?.phase === phase) return;
    if (outcome?.status === 'done') throw new Error(`migration ended in ${outcome.record.phase}, expected ${phase}`);
  }
  throw new Error(`migration never reached ${phase}: ${(await store.get('search-g2'))?.phase}`);
}

beforeEach(async () => {
  items = new MemoryTenantItems();
  index = new SqliteSearchIndex(':memory:');
  control = new MemoryControlStore();
  flagStore = new MemoryFlagStore();
  flags = flagAdmin({ store: flagStore, clock: systemClock });
  store = new MemoryMigrationStore();
  generations = new MemorySearchGenerationStore();
  version = new Map();
  crashRate = 0;
  await index.ensureGeneration('g1');
  for (const tenant of TENANTS) await control.createTenant(profile(tenant));
  for (const tenant of TENANTS) for (let i = 0; i < 30; i++) await write(tenant, 'create');
  deps = {
    store: crashing(store, () => crashRate),
    generations: crashing(generations, () => crashRate),
    search: crashing(index, () => crashRate),
    control,
    items: () => crashing(items, () => crashRate),
    flags,
    clock: systemClock,
    settleSeconds: 0,
    pageSize: 7,
    verifyBatch: 2,
    sleep: async () => undefined,
  };
  migration = indexMigration(deps);
});

const readGeneration = async (tenantId: string) =>
  compileToFlagd(await flagStore.loadAll()).resolveStringEvaluation(READ_GENERATION_FLAG, 'none', { targetingKey: tenantId }).value;

describe('index migration', () => {
  it('goes planned → copying → verifying → cutting-over → soaking → completed, and only then drops the old generation', async () => {
    await migration.start({ to: 'g2', shadowRate: 0.5, soakSeconds: 0 });
    await runUntil('cutting-over');
    expect((await migration.status()).tenants.every((tenant) => tenant.data.verify === 'verified')).toBe(true);
    expect((await generations.list()).map((g) => `${g.generation}:${g.status}`).sort()).toEqual(['g1:serving', 'g2:building']);
    expect(await readGeneration('acme')).toBe('g1');

    await migration.cutover({ tenants: ['acme'] });
    expect(await readGeneration('acme')).toBe('g2');
    expect(await readGeneration('beta')).toBe('g1');
    await expect(migration.complete()).rejects.toThrow(
      /once every tenant reads g2 .* 3 tenant\(s\) still read g1 \(beta, delta, gamma\)\. Next: `headroom search migrate cutover --tenants beta,delta,gamma`/,
    );
    expect(await migration.cutover({ percent: 100 })).toMatchObject({ phase: 'soaking', progress: { running: false } });
    await migration.complete();
    await runUntil('completed');

    expect((await generations.list()).map((g) => `${g.generation}:${g.status}`).sort()).toEqual(['g1:dropped', 'g2:serving']);
    for (const tenant of TENANTS) expect(await readGeneration(tenant)).toBe('g2');
    await expect(index.count('g1', 'acme' as TenantId)).rejects.toThrow(/does not exist/);
    expect(await index.count('g2', 'acme' as TenantId)).toBe(30);
  });

  it('starts the soak with the cutover that completes the set, also after a rollback, so complete is accepted at once', async () => {
    await migration.start({ to: 'g2', shadowRate: 0, soakSeconds: 0 });
    await runUntil('cutting-over');
    await migration.cutover({ tenants: ['acme', 'beta'] });
    expect((await store.get('search-g2'))?.phase).toBe('cutting-over');
    const soaking = await migration.cutover({ tenants: ['gamma', 'delta'] });
    expect(soaking).toMatchObject({ cutOver: ['gamma', 'delta'], phase: 'soaking' });
    expect(soaking.progress.next).toEqual({ command: 'headroom search migrate complete' });

    const rolledBack = await migration.rollback(['acme']);
    expect(rolledBack).toMatchObject({ phase: 'cutting-over', progress: { running: false } });
    expect(rolledBack.progress.next.command).toBe('headroom search migrate cutover --tenants acme');
    // No runner step in between: the cutover itself moves the phase on.
    expect(await migration.cutover({ tenants: ['acme'] })).toMatchObject({ phase: 'soaking' });
    expect(await migration.complete()).toMatchObject({ phase: 'completing' });
  });

  it('refuses complete while soaking and says until when', async () => {
    await migration.start({ to: 'g2', shadowRate: 0, soakSeconds: 3600 });
    await runUntil('cutting-over');
    await migration.cutover({ percent: 100 });
    const { migration: record } = await migration.status();
    await expect(migration.complete()).rejects.toThrow(/Still soaking for 3600 s \(until 20\d\d-.*Z\)/);
    expect(record.phase).toBe('soaking');
  });

  it('backfills page by page: progress moves with the documents copied against the estimate, each counted once despite crashes', async () => {
    await migration.start({ to: 'g2', shadowRate: 0, soakSeconds: 0 });
    const fractions: number[] = [];
    crashRate = 0.1;
    await runUntil(
      'verifying',
      async () => {
        crashRate = 0;
        const { migration: record, progress } = await migration.status();
        if (record.phase === 'copying' && progress.fraction !== null) fractions.push(progress.fraction);
        crashRate = 0.1;
      },
      2000,
      0,
    );
    crashRate = 0;
    // 4 tenants of 30 documents in pages of 7: many small steps, never backwards, never a jump to the end.
    expect(new Set(fractions).size).toBeGreaterThan(8);
    expect(fractions.every((fraction, i) => i === 0 || fraction >= (fractions[i - 1] as number))).toBe(true);
    expect(Math.max(...fractions)).toBeLessThan(1);
    for (const row of (await migration.status()).tenants)
      expect(row.data).toMatchObject({ backfilled: 30, estimated: 30, backfillDone: true });
  });

  it('re-checks a document written during the verify scan: counted matching, never mismatched, and the tenant verified', async () => {
    await migration.start({ to: 'g2', shadowRate: 0, soakSeconds: 0 });
    await runUntil('verifying', undefined, 2000, 0);
    // Each tenant's first verify scan sees a conversation created (and indexed) after the source was read: "extra".
    const racing = new Set<string>();
    migration = indexMigration({
      ...deps,
      search: {
        ...index,
        ensureGeneration: (...args) => index.ensureGeneration(...args),
        bulkUpsert: (...args) => index.bulkUpsert(...args),
        versionsOf: (...args) => index.versionsOf(...args),
        scanVersions: async (generation, tenantId) => {
          if (!racing.has(tenantId)) {
            racing.add(tenantId);
            await write(tenantId, 'create');
          }
          return index.scanVersions(generation, tenantId);
        },
      } as typeof index,
    });
    await runUntil('cutting-over');
    for (const row of (await migration.status()).tenants) {
      expect(row.data.verify).toBe('verified');
      expect(row.data.diff).toMatchObject({ processed: 31, matching: 31, mismatched: 0, missing: 0, extra: 0, rechecked: 1, repaired: 0 });
      // Matching counts the document dual-written after the backfill, so it may exceed what the backfill copied.
      expect(row.data.backfilled).toBe(30);
    }
    const described = describeIndexMigration({ ...(await migration.status()) }, NO_SHADOW);
    expect(described.tenants.every((row) => row.verify === 'verified' && row.differing === 0)).toBe(true);
  });

  it('repairs a document the pipeline lost, and leaves a tenant whose new generation is ahead mismatched, never verified', async () => {
    await migration.start({ to: 'g2', shadowRate: 0, soakSeconds: 0 });
    await runUntil('verifying', undefined, 2000, 0);
    // A write whose job never reached the indexer, and a document the new generation holds at a version DynamoDB never had.
    await write('acme' as TenantId, 'create', undefined, false);
    const ahead = toSearchDocument(items.all().find((item) => item.tenantId === 'beta' && item.type === 'conversation')!)!;
    await index.bulkUpsert('g2', [{ ...ahead, v: 99 }]);
    for (let run = 0; run < 50; run++) {
      await runMigrationSteps('search-g2', { store, playbooks: [migration.playbook as never], clock: systemClock, budgetMs: 0 });
      const rows = (await migration.status()).tenants;
      if (rows.every((row) => row.data.verify !== 'pending')) break;
    }
    const rows = new Map((await migration.status()).tenants.map((row) => [row.tenantId, row.data]));
    expect(rows.get('acme')).toMatchObject({ verify: 'verified', diff: { matching: 31, missing: 0, repaired: 1 } });
    expect(rows.get('beta')).toMatchObject({ verify: 'mismatched', diff: { mismatched: 1, samples: { mismatched: [ahead.id] } } });
    const described = describeIndexMigration(await migration.status(), NO_SHADOW);
    expect(described.tenants.find((row) => row.tenantId === 'beta')).toMatchObject({ verify: 'mismatched', differing: 1 });
    expect(described.totals).toMatchObject({ tenants: 4, tenantsVerified: 3, tenantsDiffering: 1 });
    await expect(migration.cutover({ tenants: ['beta'] })).rejects.toThrow(/Not verified yet: beta \(mismatched\)/);
  });

  it('refuses to cut over a tenant that is not verified yet, and says which and why', async () => {
    await migration.start({ to: 'g2', shadowRate: 0, soakSeconds: 0 });
    await expect(migration.cutover({ tenants: ['acme'] })).rejects.toThrow(/verified|planned/);
    await runUntil('verifying', undefined, 2000, 0);
    const unverified = (await migration.status()).tenants.filter((tenant) => tenant.data.verify !== 'verified').map((t) => t.tenantId);
    expect(unverified.length).toBeGreaterThan(0);
    await expect(migration.cutover({ tenants: [unverified[0] as string] })).rejects.toThrow(
      new RegExp(`Not verified yet: ${unverified[0]}`),
    );
    expect(await readGeneration(unverified[0] as string)).toBe('g1');
  });

  it('cancels before any cutover (dropping the new generation) but not after one', async () => {
    await migration.start({ to: 'g2', shadowRate: 0, soakSeconds: 0 });
    await runUntil('cutting-over');
    await migration.cutover({ tenants: ['beta'] });
    await expect(migration.cancel()).rejects.toThrow(/only possible before any cutover/);
    await migration.rollback(['beta']);
    expect(await readGeneration('beta')).toBe('g1');
    await migration.cancel();
    await runUntil('cancelled');
    expect((await generations.list()).find((g) => g.generation === 'g2')?.status).toBe('dropped');
    await expect(index.count('g2', 'acme' as TenantId)).rejects.toThrow(/does not exist/);
    expect(await readGeneration('beta')).toBe('g1');
  });

  it('refuses a second migration, an older generation, and a start while the engine is unhealthy', async () => {
    await expect(
      indexMigration({ ...deps, preflight: async () => ['cluster health is yellow'] }).start({ to: 'g2', shadowRate: 0, soakSeconds: 0 }),
    ).rejects.toThrow(/cluster health is yellow/);
    await migration.start({ to: 'g2', shadowRate: 0, soakSeconds: 0 });
    await expect(migration.start({ to: 'g3', shadowRate: 0, soakSeconds: 0 })).rejects.toThrow(/in phase planned/);
    await migration.cancel();
    await runUntil('cancelled');
    await expect(migration.start({ to: 'g1', shadowRate: 0, soakSeconds: 0 })).rejects.toThrow(/after the serving one|already exists/);
  });

  it('ends equal to the source of truth under concurrent writes, lost jobs and crashes at random points', async () => {
    await migration.start({ to: 'g2', shadowRate: 0, soakSeconds: 0 });
    crashRate = 0.03;
    let n = 0;
    // Every runner pass, writers create, update and delete; their jobs reach the indexer late, out of order and
    // sometimes twice, as SQS may deliver them.
    const pending: [TenantId, string, number][] = [];
    const delivered: [TenantId, string, number][] = [];
    const traffic = async () => {
      const saved = crashRate;
      crashRate = 0;
      for (const tenant of TENANTS) {
        n++;
        const target = `c${String(((n * 7919) % counter) + 1).padStart(6, '0')}`;
        const id =
          n % 5 === 0
            ? await write(tenant, 'delete', target, false)
            : n % 2 === 0
              ? await write(tenant, 'update', target, false)
              : await write(tenant, 'create', undefined, false);
        pending.push([tenant, id, version.get(`${tenant}/${id}`) as number]);
      }
      for (let k = 0; k < 3 && pending.length > 0; k++) {
        const [job] = pending.splice((n * 31 + k) % pending.length, 1) as [[TenantId, string, number]];
        await deliverJob(...job);
        delivered.push(job);
      }
      if (n % 7 === 0 && delivered.length > 0) await deliverJob(...(delivered[n % delivered.length] as [TenantId, string, number]));
      crashRate = saved;
    };
    // And a writer races the backfill: right after a page is read (and before it is written), some of the items on
    // it change and their jobs are applied at once, so the page then carries older versions than the index.
    const shard = items;
    migration = indexMigration({
      ...deps,
      items: () =>
        crashing(
          {
            get: (key: { pk: string; sk: string }) => shard.get(key),
            estimate: (tenantId: TenantId) => shard.estimate(tenantId),
            page: async (tenantId: TenantId, cursor: string | undefined, limit: number) => {
              const page = await shard.page(tenantId, cursor, limit);
              const saved = crashRate;
              crashRate = 0;
              for (const item of page.items.slice(0, 2))
                await write(tenantId, n++ % 3 === 0 ? 'delete' : 'update', item.id as string, true);
              crashRate = saved;
              return page;
            },
          },
          () => crashRate,
        ),
    });
    await runUntil('cutting-over', traffic);
    crashRate = 0;
    await migration.cutover({ percent: 100 });
    await runUntil('soaking', traffic);
    // The pipeline catches up before the old generation goes away.
    for (const job of pending.splice(0)) await deliverJob(...job);
    await migration.complete();
    await runUntil('completed');
    for (const tenant of TENANTS) {
      const drift = driftOf(await source(tenant), await index.scanVersions('g2', tenant));
      expect(drift, tenant).toEqual({ lost: 0, stale: 0, resurrected: 0, extra: 0 });
    }
  });

  it('chooses a sticky share of tenants: raising the percentage only adds tenants', () => {
    const tenants = Array.from({ length: 200 }, (_, i) => `tenant-${i}`);
    const ten = percentOf(tenants, 10);
    const thirty = percentOf(tenants, 30);
    expect(ten).toHaveLength(20);
    expect(thirty).toHaveLength(60);
    expect(ten.every((tenant) => thirty.includes(tenant))).toBe(true);
    expect(percentOf(tenants, 0)).toEqual([]);
    expect(percentOf(tenants, 100)).toHaveLength(200);
  });
});
