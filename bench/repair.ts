// `npm run bench -- repair`: the derived-data reconciler (lambdas/core/repair/derived-data-repair.ts) on the embedded
// engines (DynamoDB Local for the shard, usage counters and passes; SQLite FTS5 for search), with the production
// adapters and the production pacing (DEFAULT_REPAIR_SETTINGS). One tenant of 20,000 items (2,000 with --quick),
// indexed and metered as the pipeline would, then 1 % of its search documents and of its usage counters deleted
// behind the platform's back. Figures:
// - items checked per second and the time from the operator's run to every damaged item repaired;
// - another tenant's write p99 on the same shard while the pass runs, against the same writers measured just
//   before it in the same run (the ratio is the repair's cost to everyone else).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { DynamoControlStore } from '../lambdas/adapters/aws/dynamo-control-store.js';
import { DynamoConversationStore } from '../lambdas/adapters/aws/dynamo-conversation-store.js';
import { DynamoRepairPassStore } from '../lambdas/adapters/aws/dynamo-repair-pass-store.js';
import { DynamoTenantItems } from '../lambdas/adapters/aws/dynamo-tenant-items.js';
import { DynamoUsageStore } from '../lambdas/adapters/aws/dynamo-usage-store.js';
import { SqliteSearchIndex } from '../lambdas/adapters/local/sqlite-search-index.js';
import type { Job } from '../lambdas/core/jobs/jobs.js';
import { minuteOf } from '../lambdas/core/jobs/usage-meter.js';
import { systemClock } from '../lambdas/core/ports.js';
import { derivedDataRepair } from '../lambdas/core/repair/derived-data-repair.js';
import { DEFAULT_REPAIR_SETTINGS } from '../lambdas/core/repair/repair-settings.js';
import { toSearchDocument } from '../lambdas/core/search/search-index.js';
import type { ShardName, TenantId } from '../lambdas/core/tenancy/tenancy.js';
import { CONTROL_TABLE, controlKeys, listingBucket, SHARD_TABLE, shardKeys } from '../lambdas/schema.js';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { ensureTables } from '../local/tables.js';
import { benchTenantProfile } from './bench-tenants.js';
import { percentile, round, type Benchmark, type BenchmarkContext } from './harness.js';

const SHARD = 'shard-0' as ShardName;
const GENERATION = 'g1';
const COMMENTS_PER_CONVERSATION = 4;
const DAMAGED_SHARE = 0.01;
const WRITERS = 4;
/** Items are spread one every 30 s over the last week, past the settle time and inside the usage window. */
const ITEM_SPACING_MS = 30_000;

interface Seeded {
  readonly jobs: Job[];
  readonly minutes: string[];
}

/** `total` items of one tenant straight into the shard table, each with the insert job the relay would have sent. */
async function seedItems(doc: DynamoDBDocumentClient, table: string, tenantId: string, total: number): Promise<Seeded> {
  const items: Record<string, unknown>[] = [];
  const jobs: Job[] = [];
  const oldest = Date.now() - 3600_000 - total * ITEM_SPACING_MS;
  const job = (kind: Job['kind'], key: string, at: string): Job => ({
    kind,
    tenantId: tenantId as TenantId,
    group: tenantId,
    key,
    v: 1,
    op: 'insert',
    committedAt: at,
  });
  for (let n = 0; n < total; n += COMMENTS_PER_CONVERSATION + 1) {
    const conversationId = uuidv7();
    const comments = Math.min(COMMENTS_PER_CONVERSATION, total - n - 1);
    const at = (k: number) => new Date(oldest + (n + k) * ITEM_SPACING_MS).toISOString();
    items.push({
      ...shardKeys.conversation(tenantId, conversationId),
      ...shardKeys.listing(tenantId, listingBucket(conversationId), at(comments), conversationId),
      type: 'conversation',
      tenantId,
      id: conversationId,
      subject: `ticket ${n}`,
      body: `printer ${n} on fire`,
      author: 'bench',
      createdAt: at(0),
      updatedAt: at(comments),
      commentCount: comments,
      v: 1 + comments,
      deleted: false,
    });
    jobs.push(job('conversation', conversationId, at(0)));
    for (let c = 1; c <= comments; c++) {
      const commentId = uuidv7();
      items.push({
        ...shardKeys.comment(tenantId, conversationId, commentId),
        type: 'comment',
        tenantId,
        id: commentId,
        conversationId,
        body: `extinguisher ${n + c}`,
        author: 'bench',
        createdAt: at(c),
        v: 1,
        deleted: false,
      });
      jobs.push(job('comment', `${conversationId}/${commentId}`, at(c)));
    }
  }
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  await parallel(8, batches, async (batch) => {
    let requests: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> = {
      [table]: batch.map((item) => ({ PutRequest: { Item: item } })),
    };
    while (Object.keys(requests).length > 0) {
      const { UnprocessedItems } = await doc.send(new BatchWriteCommand({ RequestItems: requests }));
      requests = (UnprocessedItems ?? {}) as typeof requests;
    }
  });
  return { jobs, minutes: [...new Set(jobs.map((entry) => minuteOf(entry.committedAt)))] };
}

async function parallel<T>(workers: number, work: readonly T[], run: (item: T) => Promise<void>): Promise<void> {
  const queue = [...work];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await run(item);
    }),
  );
}

/** Every `count`-th element, `count` of them: a spread-out sample to damage. */
const spread = <T>(values: readonly T[], count: number): T[] =>
  Array.from({ length: count }, (_, i) => values[Math.floor((i * values.length) / count)] as T);

/** Closed-loop writers of another tenant on the same shard: latencies in ms, per phase. */
function otherTenantWriters(doc: DynamoDBDocumentClient, table: string, tenantId: string) {
  const store = new DynamoConversationStore(doc, table, tenantId as TenantId, 1);
  let phase: 'before' | 'during' | 'stopped' = 'before';
  // Read through a function: the phase changes from outside while a write is awaited.
  const current = () => phase;
  const latencies = { before: [] as number[], during: [] as number[] };
  const running = Array.from({ length: WRITERS }, async () => {
    while (current() !== 'stopped') {
      const at = new Date().toISOString();
      const started = performance.now();
      await store.createConversation({
        id: uuidv7(),
        subject: 'write under repair',
        body: 'b',
        author: 'bench',
        createdAt: at,
        updatedAt: at,
        commentCount: 0,
        version: 1,
        deleted: false,
      });
      const now = current();
      if (now !== 'stopped') latencies[now].push(performance.now() - started);
    }
  });
  return {
    latencies,
    set(next: 'during') {
      phase = next;
    },
    async stop() {
      phase = 'stopped';
      await Promise.all(running);
    },
  };
}

const p99 = (values: readonly number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    99,
  );

const benchmark: Benchmark = {
  goals: {
    other_tenants_write_p99_ratio: '<= 1.2 (during the repair / just before it, same writers)',
    damaged_found_and_repaired: 'every damaged search document and usage counter, in one pass',
  },
  async run({ quick, log }: BenchmarkContext) {
    const total = quick ? 2_000 : 20_000;
    const baselineSeconds = quick ? 5 : 20;
    const dataDir = mkdtempSync(join(tmpdir(), 'headroom-bench-repair-'));
    const dynamo = await startDynamoDbLocal();
    const index = new SqliteSearchIndex(join(dataDir, 'search.sqlite'));
    try {
      const client = new DynamoDBClient({
        endpoint: dynamo.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
      const table = 'bench-shard-0';
      const controlTable = 'bench-control';
      await ensureTables(client, [
        { name: table, definition: SHARD_TABLE },
        { name: controlTable, definition: CONTROL_TABLE },
      ]);
      const control = new DynamoControlStore(doc, controlTable);
      const usage = new DynamoUsageStore(doc, controlTable);
      const items = new DynamoTenantItems(doc, table);
      await control.createTenant(benchTenantProfile('big', SHARD));
      await control.createTenant(benchTenantProfile('neighbour', SHARD));

      // The tenant as the pipeline leaves it: every item indexed, every insert metered once.
      let began = performance.now();
      const seeded = await seedItems(doc, table, 'big', total);
      await index.ensureGeneration(GENERATION);
      let cursor: string | undefined;
      do {
        const page = await items.page('big' as TenantId, cursor, 1000);
        await index.bulkUpsert(
          GENERATION,
          page.items.flatMap((item) => toSearchDocument(item) ?? []),
        );
        cursor = page.cursor;
      } while (cursor !== undefined);
      await parallel(8, seeded.jobs, async (job) => void (await usage.count(job)));
      log(`seeded ${total} items over ${seeded.minutes.length} usage minutes in ${round((performance.now() - began) / 1000)} s`);

      // Damage behind the platform's back: 1 % of the documents deleted from the index, 1 % of the counters deleted.
      const documents = await index.scanVersions(GENERATION, 'big' as TenantId);
      const lostDocuments = spread(documents, Math.round(documents.length * DAMAGED_SHARE)).map((entry) => entry.id);
      const sqlite = new Database(join(dataDir, 'search.sqlite'));
      const remove = sqlite.prepare(`DELETE FROM docs_${GENERATION} WHERE tenant = ? AND id = ?`);
      for (const id of lostDocuments) remove.run('big', id);
      sqlite.close();
      const lostMinutes = spread(seeded.minutes, Math.round(seeded.minutes.length * DAMAGED_SHARE));
      for (const minute of lostMinutes)
        await doc.send(new DeleteCommand({ TableName: controlTable, Key: controlKeys.tenantUsage('big', minute) }));
      log(
        `damaged ${lostDocuments.length} of ${documents.length} documents and ${lostMinutes.length} of ${seeded.minutes.length} counters`,
      );

      const writers = otherTenantWriters(doc, table, 'neighbour');
      await sleep(baselineSeconds * 1000);
      writers.set('during');
      const repaired = { search: 0, usage: 0 };
      const repair = derivedDataRepair({
        store: new DynamoRepairPassStore(doc, controlTable),
        control,
        items: () => items,
        search: { index, writeGenerations: async () => [GENERATION] },
        usage,
        settings: DEFAULT_REPAIR_SETTINGS,
        clock: systemClock,
        sleep: async (ms) => void (await sleep(ms)),
        suffix: () => Math.random().toString(16).slice(2, 10).padEnd(8, '0'),
        reporter: {
          tenantChecked: (view, _tenant, count) => void (repaired[view] += count),
          passCompleted: () => undefined,
        },
      });
      began = performance.now();
      await repair.request({ tenant: 'big' });
      let outcome = await repair.tick(60_000);
      while (outcome.status !== 'completed') {
        if (outcome.status === 'idle' || outcome.status === 'superseded') throw new Error(`the repair pass stopped: ${outcome.status}`);
        log(`checked ${outcome.itemsRead} items`);
        outcome = await repair.tick(60_000);
      }
      const passSeconds = (performance.now() - began) / 1000;
      await writers.stop();

      const after = new Set((await index.scanVersions(GENERATION, 'big' as TenantId)).map((entry) => entry.id));
      const documentsStillMissing = lostDocuments.filter((id) => !after.has(id)).length;
      let countersStillMissing = 0;
      for (const minute of lostMinutes)
        if ((await usage.tenantUsage('big' as TenantId, minute, minute)).length === 0) countersStillMissing++;
      const before = p99(writers.latencies.before);
      const during = p99(writers.latencies.during);
      log(
        `pass: ${outcome.itemsRead} items in ${round(passSeconds)} s; repaired ${repaired.search} documents, ${repaired.usage} counters; neighbour p99 ${round(before, 2)} → ${round(during, 2)} ms`,
      );
      return {
        items: total,
        items_read: outcome.itemsRead,
        items_per_second_setting: DEFAULT_REPAIR_SETTINGS.itemsPerSecond,
        items_checked_per_s: round(outcome.itemsRead / passSeconds, 0),
        time_to_repair_all_s: round(passSeconds, 1),
        damaged_documents: lostDocuments.length,
        damaged_counters: lostMinutes.length,
        repaired_documents: repaired.search,
        repaired_counters: repaired.usage,
        documents_still_missing: documentsStillMissing,
        counters_still_missing: countersStillMissing,
        other_tenant_writes_before: writers.latencies.before.length,
        other_tenant_writes_during: writers.latencies.during.length,
        other_tenant_write_p99_before_ms: round(before, 2),
        other_tenant_write_p99_during_ms: round(during, 2),
        other_tenants_write_p99_ratio: round(during / before, 3),
      };
    } finally {
      index.close();
      await dynamo.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
