// `npm run bench -- search-migration`: an index migration on the embedded engines (DynamoDB Local as the source of
// truth, SQLite FTS5 as the search engine), with the production migration code (lambdas/core/migrations/index-migration.ts,
// the runner, the DynamoDB adapters, the indexer). Three measurements:
// - backfill: docs/s from the moment dual-write is on until every tenant is copied, against a baseline measured
//   in the same run: the same documents bulk-written straight into SQLite (no source reads, no version checks);
// - search: single-tenant query latency on the new generation holding every document;
// - chaos: randomized runs of a whole migration while writers create, update and delete through the DynamoDB
//   conversation store, jobs reach the indexer late, out of order and twice, and the runner crashes at random
//   points; each run ends with an audit of every tenant: lost, stale and resurrected documents.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { v7 as uuidv7 } from 'uuid';
import { DynamoControlStore } from '../lambdas/adapters/aws/dynamo-control-store.js';
import { DynamoConversationStore } from '../lambdas/adapters/aws/dynamo-conversation-store.js';
import { DynamoMigrationStore } from '../lambdas/adapters/aws/dynamo-migration-store.js';
import { DynamoSearchGenerationStore } from '../lambdas/adapters/aws/dynamo-search-generation-store.js';
import { DynamoTenantItems } from '../lambdas/adapters/aws/dynamo-tenant-items.js';
import { DynamoFlagStore } from '../lambdas/adapters/aws/dynamo-flag-store.js';
import { SqliteSearchIndex } from '../lambdas/adapters/local/sqlite-search-index.js';
import { flagAdmin } from '../lambdas/core/flags/flag-admin.js';
import { INDEX_MIGRATION_PHASES } from '../lambdas/core/migrations/index-migration.js';
import { indexMigration } from '../lambdas/core/migrations/index-migration-admin.js';
import { runMigrationSteps } from '../lambdas/core/migrations/migration-runner.js';
import { systemClock, type ControlStore } from '../lambdas/core/ports.js';
import { cachedGenerations } from '../lambdas/core/search/search-generations.js';
import { indexJob } from '../lambdas/core/search/search-indexer.js';
import { toSearchDocument, type SearchDocument, type VersionEntry } from '../lambdas/core/search/search-index.js';
import { createTenantDirectory } from '../lambdas/core/tenancy/tenant-directory.js';
import type { ShardName, TenantId } from '../lambdas/core/tenancy/tenancy.js';
import { driftOf, latestById } from '../lambdas/core/migrations/version-diff.js';
import { CONTROL_TABLE, listingBucket, SHARD_TABLE, shardKeys } from '../lambdas/schema.js';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { ensureTables } from '../local/tables.js';
import { benchTenantProfile } from './bench-tenants.js';
import { percentile, round, type Benchmark, type BenchmarkContext } from './harness.js';
import { Crash, crashing } from '../test/support/crash-injection.js';

const SHARDS = ['shard-0', 'shard-1', 'shard-2', 'shard-3'];
const COMMENTS_PER_CONVERSATION = 4;
// Support text is Zipf-distributed: a few words are everywhere, most are rare. Documents and queries draw from the
// same 5,000-word vocabulary with weight 1/rank, so queries are as selective as real ones (a 16-word vocabulary would
// make every document match every query).
const VOCABULARY = Array.from({ length: 5000 }, (_, rank) => `w${rank.toString(36)}`);
const ZIPF = (() => {
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= VOCABULARY.length; rank++) cumulative.push((total += 1 / rank));
  return cumulative.map((value) => value / total);
})();
function zipfWord(random: () => number): string {
  const target = random();
  let lo = 0;
  let hi = ZIPF.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ZIPF[mid] as number) < target) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo] as string;
}
/** mulberry32: a small deterministic generator, so runs compare. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const text = (n: number) => {
  const random = seeded(n + 1);
  return Array.from({ length: 24 }, () => zipfWord(random)).join(' ');
};

interface Engines {
  readonly doc: DynamoDBDocumentClient;
  readonly tables: Record<ShardName, string>;
  readonly control: ControlStore;
  readonly controlTable: string;
}

/** Loads `docs` documents over `tenants` tenants straight into the shard tables (conversations with comments). */
async function seed(engines: Engines, prefix: string, tenants: number, docs: number): Promise<string[]> {
  const ids = Array.from({ length: tenants }, (_, i) => `${prefix}-${i}`);
  const perTenant = Math.floor(docs / tenants);
  const items: { table: string; item: Record<string, unknown> }[] = [];
  for (const [t, tenantId] of ids.entries()) {
    const shard = SHARDS[t % SHARDS.length] as ShardName;
    await engines.control.createTenant(benchTenantProfile(tenantId, shard));
    for (let n = 0; n < perTenant; n += COMMENTS_PER_CONVERSATION + 1) {
      const conversationId = uuidv7();
      const at = new Date(Date.now() - n * 1000).toISOString();
      items.push({
        table: engines.tables[shard] as string,
        item: {
          ...shardKeys.conversation(tenantId, conversationId),
          ...shardKeys.listing(tenantId, listingBucket(conversationId), at, conversationId),
          type: 'conversation',
          tenantId,
          id: conversationId,
          subject: `ticket ${n}`,
          body: text(n),
          author: 'bench',
          createdAt: at,
          updatedAt: at,
          commentCount: COMMENTS_PER_CONVERSATION,
          v: 1,
          deleted: false,
        },
      });
      for (let c = 0; c < COMMENTS_PER_CONVERSATION && n + c + 1 < perTenant; c++) {
        const commentId = uuidv7();
        items.push({
          table: engines.tables[shard] as string,
          item: {
            ...shardKeys.comment(tenantId, conversationId, commentId),
            type: 'comment',
            tenantId,
            id: commentId,
            conversationId,
            body: text(n + c),
            author: 'bench',
            createdAt: at,
            v: 1,
            deleted: false,
          },
        });
      }
    }
  }
  const batches: (typeof items)[] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let batch = batches.shift(); batch; batch = batches.shift()) {
        let requests: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> = {};
        for (const { table, item } of batch) (requests[table] ??= []).push({ PutRequest: { Item: item } });
        while (Object.keys(requests).length > 0) {
          const { UnprocessedItems } = await engines.doc.send(new BatchWriteCommand({ RequestItems: requests }));
          requests = (UnprocessedItems ?? {}) as typeof requests;
        }
      }
    }),
  );
  return ids;
}

async function sourceOf(engines: Engines, tenantId: string, shard: ShardName): Promise<VersionEntry[]> {
  const items = new DynamoTenantItems(engines.doc, engines.tables[shard] as string);
  const entries: VersionEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await items.page(tenantId as TenantId, cursor, 1000);
    for (const item of page.items) {
      const doc = toSearchDocument(item);
      if (doc) entries.push({ id: doc.id, v: doc.v, deleted: doc.deleted });
    }
    cursor = page.cursor;
  } while (cursor);
  return latestById(entries);
}

function migrationOf(engines: Engines, index: SqliteSearchIndex, crashRate: () => number) {
  const items = (shard: ShardName) => crashing(new DynamoTenantItems(engines.doc, engines.tables[shard] as string), crashRate);
  const migrations = new DynamoMigrationStore(engines.doc, engines.controlTable);
  const generations = new DynamoSearchGenerationStore(engines.doc, engines.controlTable);
  const migration = indexMigration({
    store: crashing(migrations, crashRate),
    generations: crashing(generations, crashRate),
    search: crashing(index, crashRate),
    control: engines.control,
    items,
    flags: flagAdmin({ store: new DynamoFlagStore(engines.doc, engines.controlTable), clock: systemClock }),
    clock: systemClock,
    settleSeconds: 0,
    pageSize: 1000,
    // Jobs in the chaos runs arrive within 300 ms; the production default waits longer for real queues.
    recheckDelayMs: 150,
    sleep: async (ms) => void (await sleep(ms)),
  });
  return { migration, migrations, generations };
}

/** Steps a migration until `phase`, restarting the runner after every crash. Returns the number of restarts. */
async function runUntil(
  engines: Engines,
  migration: ReturnType<typeof indexMigration>,
  migrations: DynamoMigrationStore,
  id: string,
  phase: string,
  budgetMs: number,
) {
  let restarts = 0;
  for (;;) {
    try {
      const outcome = await runMigrationSteps(id, {
        store: migrations,
        playbooks: [migration.playbook as never],
        clock: systemClock,
        budgetMs,
      });
      if (outcome.status === 'waiting') await sleep(Math.min(outcome.waitSeconds * 1000, 200));
    } catch (error) {
      if (!(error instanceof Crash)) throw error;
      restarts++;
    }
    const record = await migrations.get(id);
    const order = INDEX_MIGRATION_PHASES as readonly string[];
    if (record && order.indexOf(record.phase) >= order.indexOf(phase)) return restarts;
    if (!record || ['completed', 'cancelled'].includes(record.phase)) throw new Error(`migration ${id} ended in ${record?.phase}`);
  }
}

async function backfillAndSearch(engines: Engines, dataDir: string, docs: number, tenants: number, log: (line: string) => void) {
  log(`seeding ${docs} documents over ${tenants} tenants into DynamoDB Local`);
  const ids = await seed(engines, 'load', tenants, docs);
  const documents: SearchDocument[] = [];
  for (const [t, tenantId] of ids.entries()) {
    const items = new DynamoTenantItems(engines.doc, engines.tables[SHARDS[t % SHARDS.length] as string] as string);
    let cursor: string | undefined;
    do {
      const page = await items.page(tenantId as TenantId, cursor, 1000);
      documents.push(...page.items.flatMap((item) => toSearchDocument(item) ?? []));
      cursor = page.cursor;
    } while (cursor);
  }

  // Baseline: the same documents written straight into a fresh SQLite generation, 500 per transaction.
  const baselineIndex = new SqliteSearchIndex(join(dataDir, 'baseline.sqlite'));
  await baselineIndex.ensureGeneration('g1');
  const baselineStarted = performance.now();
  for (let i = 0; i < documents.length; i += 500) await baselineIndex.bulkUpsert('g1', documents.slice(i, i + 500));
  const baselineDocsPerS = documents.length / ((performance.now() - baselineStarted) / 1000);
  baselineIndex.close();
  log(`baseline: ${Math.round(baselineDocsPerS)} docs/s straight into SQLite`);

  const index = new SqliteSearchIndex(join(dataDir, 'search.sqlite'));
  await index.ensureGeneration('g1');
  const { migration, migrations } = migrationOf(engines, index, () => 0);
  const record = await migration.start({ to: 'g2', shadowRate: 0, soakSeconds: 0 });
  await runUntil(engines, migration, migrations, record.id, 'cutting-over', 60_000);
  // Backfill time: from dual-write on (entering copying) to every tenant copied (entering verifying), as recorded.
  const { phaseTimestamps } = (await migrations.get(record.id)) as { phaseTimestamps: Record<string, string> };
  const backfillS = (Date.parse(phaseTimestamps.verifying as string) - Date.parse(phaseTimestamps.copying as string)) / 1000;
  const verifyS = (Date.parse(phaseTimestamps['cutting-over'] as string) - Date.parse(phaseTimestamps.verifying as string)) / 1000;
  const copied = (await migration.status()).tenants.reduce((sum, tenant) => sum + tenant.data.backfilled, 0);
  log(`backfill: ${copied} documents in ${round(backfillS, 2)} s; verification of every tenant: ${round(verifyS, 2)} s`);

  const latencies: number[] = [];
  const queries = 2000;
  const random = seeded(42);
  for (let q = 0; q < queries; q++) {
    const tenantId = ids[q % ids.length] as TenantId;
    // One or two words, as people search support history.
    const query = q % 2 === 0 ? zipfWord(random) : `${zipfWord(random)} ${zipfWord(random)}`;
    const began = performance.now();
    await index.search('g2', tenantId, query, 20);
    latencies.push(performance.now() - began);
  }
  latencies.sort((a, b) => a - b);
  index.close();
  return {
    copied,
    verifyS,
    backfillDocsPerS: copied / backfillS,
    baselineDocsPerS,
    searchP50: percentile(latencies, 50),
    searchP99: percentile(latencies, 99),
    queries,
  };
}

async function chaosRun(
  engines: Engines,
  dataDir: string,
  run: number,
  tenants: number,
  docsPerTenant: number,
  log: (line: string) => void,
) {
  const began = performance.now();
  const prefix = `chaos${run}`;
  const ids = await seed(engines, prefix, tenants, tenants * docsPerTenant);
  const index = new SqliteSearchIndex(join(dataDir, `chaos-${run}.sqlite`));
  await index.ensureGeneration('g1');
  let crashRate = 0;
  const { migration, migrations, generations } = migrationOf(engines, index, () => crashRate);
  const directory = createTenantDirectory({ store: engines.control, clock: systemClock, ttlSeconds: 0 });
  const indexer = {
    directory,
    items: (shard: ShardName) => new DynamoTenantItems(engines.doc, engines.tables[shard] as string),
    search: index,
    generations: cachedGenerations(generations, systemClock, 0),
    ensured: new Set<string>(),
    recordLag: () => undefined,
    now: () => new Date(),
  };

  // Writers: create, comment on, update (soft delete) conversations through the production store; each change's
  // job is delivered after a random delay, sometimes twice, so deliveries overlap, reorder and repeat.
  let writing = true;
  const deliveries: Promise<void>[] = [];
  let writes = 0;
  const deliver = (tenantId: string, key: string, kind: 'conversation' | 'comment', v: number) => {
    const job = {
      kind,
      tenantId: tenantId as TenantId,
      group: tenantId,
      key,
      v,
      op: 'update' as const,
      committedAt: new Date().toISOString(),
    };
    for (let copy = 0; copy < (Math.random() < 0.2 ? 2 : 1); copy++)
      deliveries.push(sleep(Math.random() * 300).then(async () => void (await indexJob(job, indexer))));
  };
  const writers = ids.map(async (tenantId, t) => {
    const shard = SHARDS[t % SHARDS.length] as ShardName;
    const store = new DynamoConversationStore(engines.doc, engines.tables[shard] as string, tenantId as TenantId);
    const mine: string[] = [];
    while (writing) {
      const roll = Math.random();
      const at = new Date().toISOString();
      if (mine.length < 3 || roll < 0.35) {
        const id = uuidv7();
        await store.createConversation({
          id,
          subject: `chaos ${roll}`,
          body: text(writes),
          author: 'w',
          createdAt: at,
          updatedAt: at,
          commentCount: 0,
          version: 1,
          deleted: false,
        });
        mine.push(id);
        deliver(tenantId, id, 'conversation', 1);
      } else if (roll < 0.8) {
        const conversationId = mine[Math.floor(Math.random() * mine.length)] as string;
        const commentId = uuidv7();
        if (
          (
            await store.addComment({
              id: commentId,
              conversationId,
              body: text(writes),
              author: 'w',
              createdAt: at,
              version: 1,
              deleted: false,
            })
          ).kind === 'written'
        ) {
          deliver(tenantId, `${conversationId}/${commentId}`, 'comment', 1);
          const conversation = await store.getConversation(conversationId);
          if (conversation) deliver(tenantId, conversationId, 'conversation', conversation.version);
        }
      } else {
        const [gone] = mine.splice(Math.floor(Math.random() * mine.length), 1) as [string];
        if (await store.softDeleteConversation(gone, at)) {
          const conversation = await store.getConversation(gone);
          if (conversation) deliver(tenantId, gone, 'conversation', conversation.version);
        }
      }
      writes++;
      await sleep(20);
    }
  });

  const record = await migration.start({ to: 'g2', shadowRate: 0, soakSeconds: 0 });
  crashRate = 0.02;
  let restarts = await runUntil(engines, migration, migrations, record.id, 'cutting-over', 200);
  crashRate = 0;
  await migration.cutover({ percent: 100 });
  restarts += await runUntil(engines, migration, migrations, record.id, 'soaking', 200);
  writing = false;
  await Promise.all(writers);
  await Promise.all(deliveries);
  await migration.complete();
  await runUntil(engines, migration, migrations, record.id, 'completed', 5000);
  const totals = { lost: 0, stale: 0, resurrected: 0, extra: 0 };
  for (const [t, tenantId] of ids.entries()) {
    const drift = driftOf(
      await sourceOf(engines, tenantId, SHARDS[t % SHARDS.length] as ShardName),
      await index.scanVersions('g2', tenantId as TenantId),
    );
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += drift[key];
  }
  index.close();
  log(
    `chaos run ${run + 1} (${round((performance.now() - began) / 1000)} s): ${writes} writes during the migration, ${restarts} runner crashes; lost ${totals.lost}, stale ${totals.stale}, resurrected ${totals.resurrected}, extra ${totals.extra}`,
  );
  // Each run's migration is finished: clear the registry and flag so the next run starts from g1 again.
  return { writes, restarts, ...totals };
}

const benchmark: Benchmark = {
  goals: {
    backfill_docs_per_s: '>= 5000 on the embedded engine',
    search_p99_ms: '<= 10 (single tenant, 100k documents)',
    'lost, stale, resurrected': '0 in every run',
  },
  async run({ quick, log }: BenchmarkContext) {
    const docs = quick ? 10_000 : 100_000;
    const tenants = 50;
    const runs = 5;
    const dataDir = mkdtempSync(join(tmpdir(), 'headroom-bench-search-'));
    const dynamo = await startDynamoDbLocal();
    try {
      const doc = DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint: dynamo.endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }),
        { marshallOptions: { removeUndefinedValues: true } },
      );
      const client = new DynamoDBClient({
        endpoint: dynamo.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const results: Record<string, unknown>[] = [];
      let load: Awaited<ReturnType<typeof backfillAndSearch>> | undefined;
      for (let run = 0; run <= runs; run++) {
        // A fresh control table and shard tables per measurement, so every migration starts at g1.
        const tables = Object.fromEntries(SHARDS.map((shard) => [shard, `bench-${run}-${shard}`]));
        const controlTable = `bench-${run}-control`;
        await ensureTables(client, [
          ...SHARDS.map((shard) => ({ name: tables[shard] as string, definition: SHARD_TABLE })),
          { name: controlTable, definition: CONTROL_TABLE },
        ]);
        const engines: Engines = { doc, tables, control: new DynamoControlStore(doc, controlTable), controlTable };
        if (run === 0) load = await backfillAndSearch(engines, dataDir, docs, tenants, log);
        else results.push(await chaosRun(engines, dataDir, run - 1, quick ? 2 : 8, quick ? 40 : 250, log));
      }
      const sum = (key: string) => results.reduce((total, result) => total + (result[key] as number), 0);
      return {
        docs: load?.copied,
        tenants,
        backfill_docs_per_s: round(load?.backfillDocsPerS ?? 0, 0),
        baseline_sqlite_docs_per_s: round(load?.baselineDocsPerS ?? 0, 0),
        backfill_vs_baseline_ratio: round((load?.backfillDocsPerS ?? 0) / (load?.baselineDocsPerS ?? 1), 3),
        verify_s: round(load?.verifyS ?? 0, 2),
        search_p50_ms: round(load?.searchP50 ?? 0, 3),
        search_p99_ms: round(load?.searchP99 ?? 0, 3),
        search_queries: load?.queries,
        runs,
        lost: sum('lost'),
        stale: sum('stale'),
        resurrected: sum('resurrected'),
        extra: sum('extra'),
        chaos: results,
      };
    } finally {
      await dynamo.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
