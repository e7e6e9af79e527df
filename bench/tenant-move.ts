// `npm run bench -- tenant-move`: moves a busy tenant between shards while it and ten other tenants keep writing,
// then audits the target against every acknowledged write. The move machinery is the production code (the move
// composition of lambdas/composition/moves.ts, the migration runner, one stream replicator per shard, writers going
// through the fenced DynamoDB conversation store with their own 30 s directory cache, like API instances) on an
// in-memory DynamoDB Local; the HTTP bridge and the job pipeline are left out so the figures are the move's own.
// Each run is randomized: the tenant's size (±10 %), its source and target shard, the other tenants' shards.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { v7 as uuidv7 } from 'uuid';
import { changeRecordOf } from '../lambdas/adapters/aws/dynamodb-stream-records.js';
import { DynamoControlStore } from '../lambdas/adapters/aws/dynamo-control-store.js';
import { DynamoConversationStore } from '../lambdas/adapters/aws/dynamo-conversation-store.js';
import { DynamoMigrationStore } from '../lambdas/adapters/aws/dynamo-migration-store.js';
import { runMigrationSteps, type MigrationRecord, type Playbook } from '../lambdas/core/migrations/migration-runner.js';
import { fencedConversationStore } from '../lambdas/core/tenancy/placement-fence.js';
import { systemClock, type ConversationStore } from '../lambdas/core/ports.js';
import { createTenantDirectory } from '../lambdas/core/tenancy/tenant-directory.js';
import type { TenantMoveParams } from '../lambdas/core/moves/tenant-move.js';
import type { ShardName, TenantContext, TenantId } from '../lambdas/core/tenancy/tenancy.js';
import { DEFAULT_TENANT_MOVE_SETTINGS } from '../lambdas/core/moves/tenant-move-settings.js';
import type { ShardTopology } from '../lambdas/core/tenancy/shard-topology.js';
import type { RuntimeEnvironment } from '../lambdas/environment.js';
import { composeMoves, type MoveServices } from '../lambdas/composition/moves.js';
import { Problem } from '../lambdas/core/problems.js';
import { CONTROL_TABLE, listingBucket, SHARD_TABLE, shardKeys } from '../lambdas/schema.js';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { startDynamoDbStreamSource, type DynamoDbStreamSource } from '../local/dynamodb-stream-source.js';
import { REPLICATOR_POLL_MS } from '../local/move-replicators.js';
import { ensureTables } from '../local/tables.js';
import { benchTenantProfile } from './bench-tenants.js';
import { percentile, round, type Benchmark, type BenchmarkContext } from './harness.js';

const SHARDS = 4;
const OTHER_TENANTS = 10;
/**
 * Client pacing: each writer waits this long after an acknowledged write. DynamoDB Local runs every shard in one
 * 2-core JVM and a comment is a three-item transaction (fence check, comment, conversation), so the engine tops out
 * near 150 such writes per second here; these rates use about half of it and leave the rest to the move, as real
 * shards (separate tables with their own capacity) would. The measured rates are in the results.
 */
const MOVER_WRITERS = 2;
const MOVER_PAUSE_MS = 40;
const OTHER_PAUSE_MS = 400;
/** Other tenants' write latency before the move is sampled over this window (after the engine has warmed up). */
const BASELINE_MS = 4000;
/** The first run also gives DynamoDB Local's JIT this long under the writers' load before the baseline starts. */
const WARM_UP_MS = 3000;
const COMMENTS_PER_CONVERSATION = 9;

interface Acked {
  readonly conversations: Map<string, { comments: Set<string> }>;
}

/** Writes a tenant's history straight into its shard (the seed is not what is measured). */
async function seed(doc: DynamoDBDocumentClient, table: string, tenantId: string, items: number, acked: Acked): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  const base = Date.now() - 86_400_000;
  for (let c = 0; c < Math.ceil(items / (COMMENTS_PER_CONVERSATION + 1)); c++) {
    const id = uuidv7();
    const at = new Date(base + c * 1000).toISOString();
    const comments = new Set<string>();
    for (let m = 0; m < COMMENTS_PER_CONVERSATION; m++) {
      const comment = uuidv7();
      comments.add(comment);
      rows.push({
        ...shardKeys.comment(tenantId, id, comment),
        type: 'comment',
        tenantId,
        id: comment,
        conversationId: id,
        body: 'history',
        author: 'a',
        createdAt: at,
        updatedAt: at,
        v: 1,
        deleted: false,
      });
    }
    rows.push({
      ...shardKeys.conversation(tenantId, id),
      ...shardKeys.listing(tenantId, listingBucket(id), at, id),
      type: 'conversation',
      tenantId,
      id,
      subject: `history ${c}`,
      body: 'b',
      author: 'a',
      createdAt: at,
      updatedAt: at,
      commentCount: COMMENTS_PER_CONVERSATION,
      v: 1 + COMMENTS_PER_CONVERSATION,
      deleted: false,
    });
    acked.conversations.set(id, { comments });
  }
  const batches = Array.from({ length: Math.ceil(rows.length / 25) }, (_, i) => rows.slice(i * 25, i * 25 + 25));
  for (let i = 0; i < batches.length; i += 8) {
    await Promise.all(
      batches.slice(i, i + 8).map(async (batch) => {
        let request: Record<string, unknown>[] | undefined = batch.map((Item) => ({ PutRequest: { Item } }));
        while (request && request.length > 0) {
          const response = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: request as never } }));
          request = response.UnprocessedItems?.[table] as Record<string, unknown>[] | undefined;
        }
      }),
    );
  }
}

interface Writer {
  readonly latencies: { at: number; ms: number }[];
  refused: number;
  done: Promise<void>;
}

/**
 * A client of one tenant: comments on its conversations and now and then starts one. A write refused with 503
 * (the fence outlasted the wait) is retried, as a client honouring Retry-After would; only acknowledged writes count.
 */
function startWriter(store: ConversationStore, acked: Acked, stop: () => boolean, pauseMs: number): Writer {
  const writer: Writer = { latencies: [], refused: 0, done: Promise.resolve() };
  writer.done = (async () => {
    const mine = [...acked.conversations.keys()].sort(() => Math.random() - 0.5).slice(0, 50);
    while (!stop()) {
      const create = mine.length === 0 || Math.random() < 0.1;
      const conversationId = mine[Math.floor(Math.random() * mine.length)]!;
      const id = uuidv7();
      for (;;) {
        const started = performance.now();
        const at = new Date().toISOString();
        try {
          const outcome = create
            ? await store.createConversation({
                id,
                subject: 's',
                body: 'b',
                author: 'a',
                createdAt: at,
                updatedAt: at,
                commentCount: 0,
                version: 1,
                deleted: false,
              })
            : await store.addComment({
                id,
                conversationId,
                body: 'during the move',
                author: 'a',
                createdAt: at,
                version: 1,
                deleted: false,
              });
          writer.latencies.push({ at: Date.now(), ms: performance.now() - started });
          if (outcome.kind !== 'written') throw new Error(`write answered ${outcome.kind}`);
          if (create) {
            acked.conversations.set(id, { comments: new Set() });
            mine.push(id);
          } else acked.conversations.get(conversationId)!.comments.add(id);
          break;
        } catch (error) {
          if (!(error instanceof Problem && error.status === 503)) throw error;
          writer.latencies.push({ at: Date.now(), ms: performance.now() - started });
          writer.refused++;
        }
      }
      await sleep(pauseMs);
    }
  })();
  return writer;
}

async function audit(moves: MoveServices, shard: string, tenantId: string, acked: Acked) {
  const items: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  do {
    const page = await moves.enumerate(shard).page(tenantId as TenantId, cursor, 1000);
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  const metas = new Map(items.filter((item) => item.sk === 'META').map((item) => [item.id as string, item]));
  const comments = new Map<string, string[]>();
  for (const item of items)
    if (item.type === 'comment')
      comments.set(item.conversationId as string, [...(comments.get(item.conversationId as string) ?? []), item.id as string]);
  let lost = 0;
  let duplicated = 0;
  let stale = 0;
  for (const [id, state] of acked.conversations) {
    const meta = metas.get(id);
    if (!meta) {
      lost += 1 + state.comments.size;
      continue;
    }
    if ((meta.commentCount as number) !== state.comments.size || (meta.v as number) !== 1 + state.comments.size) stale++;
    const stored = comments.get(id) ?? [];
    lost += [...state.comments].filter((comment) => !stored.includes(comment)).length;
    duplicated += stored.filter((comment) => !state.comments.has(comment)).length + stored.length - new Set(stored).size;
  }
  duplicated += [...metas.keys()].filter((id) => !acked.conversations.has(id)).length;
  return { lost, duplicated, stale, items: items.length };
}

/** Seconds spent in each phase up to the cutover, from the move record's own phase timestamps. */
function phaseSeconds(timestamps: Readonly<Record<string, string>>, started: number, cutover: number): Record<string, number> {
  const entered = Object.entries(timestamps)
    .map(([phase, at]) => [phase, Date.parse(at)] as const)
    .filter(([, at]) => at >= started - 1000 && at <= cutover)
    .sort((a, b) => a[1] - b[1]);
  return Object.fromEntries(entered.map(([phase, at], i) => [phase, round(((entered[i + 1]?.[1] ?? cutover) - at) / 1000)]));
}

async function run({ quick, log }: BenchmarkContext) {
  const itemsPerTenant = quick ? 5_000 : 50_000;
  // --quick keeps to one run so it stays under a minute on a 2-core machine (DynamoDB Local copies a few hundred items/s there).
  const runs = quick ? 1 : 5;
  const dynamo = await startDynamoDbLocal();
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const topology: ShardTopology = Array.from({ length: SHARDS }, (_, n) => ({ name: `shard-${n}`, table: `bench-shard-${n}` }));
  await ensureTables(client, [
    ...topology.map((shard) => ({ name: shard.table, definition: SHARD_TABLE })),
    { name: 'bench-control', definition: CONTROL_TABLE },
  ]);
  const env = {
    shards: topology,
    controlTable: 'bench-control',
    // `complete` may follow the cutover after 2 × this; the writers' own caches keep 30 s routes (stale after the flip).
    directoryCacheSeconds: 1,
    idempotencyTtlSeconds: 86_400,
    defaultTier: 'standard',
    flagCacheSeconds: 15,
    tenantMove: { ...DEFAULT_TENANT_MOVE_SETTINGS, backfillItemsPerSecond: 10_000, barrierBeacons: 4 },
  } as RuntimeEnvironment;
  const control = new DynamoControlStore(doc, env.controlTable);
  const migrations = new DynamoMigrationStore(doc, env.controlTable);
  const moves = composeMoves({ doc, env, control, clock: systemClock, migrations, startRunner: async () => undefined });
  const checkpoints = mkdtempSync(join(tmpdir(), 'headroom-bench-move-'));
  const replicators: DynamoDbStreamSource[] = await Promise.all(
    topology.map((shard) =>
      startDynamoDbStreamSource({
        endpoint: dynamo.endpoint,
        tableName: shard.table,
        checkpointFile: join(checkpoints, `${shard.name}.json`),
        pollIntervalMs: REPLICATOR_POLL_MS,
        batchSize: 1000,
        handler: async (event) => {
          const result = await moves.replicate(shard.name, event.Records.map(changeRecordOf));
          return { batchItemFailures: result.failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
        },
      }),
    ),
  );
  const tableOf = (shard: string) => topology.find((candidate) => candidate.name === shard)!.table;
  const storeFor = (route: TenantContext) => new DynamoConversationStore(doc, tableOf(route.shard), route.tenantId, route.epoch);
  const writerFor = async (tenantId: TenantId) => {
    const directory = createTenantDirectory({ store: control, clock: systemClock, ttlSeconds: 30 });
    const profile = (await directory.resolve(tenantId))!;
    return fencedConversationStore(
      { tenantId, shard: profile.shard, epoch: profile.epoch, group: profile.group, tier: profile.tier },
      { directory, storeFor, clock: systemClock, maxWaitMs: env.tenantMove!.fenceWaitMs },
    );
  };
  const createTenant = async (id: string, shard: string) => {
    await control.createTenant(benchTenantProfile(id, shard as ShardName, 'enterprise'));
    return id as TenantId;
  };
  const runner = async (id: string, until: string) => {
    let phase = '';
    const began = Date.now();
    for (;;) {
      await runMigrationSteps(id, {
        store: migrations,
        playbooks: [moves.playbook as unknown as Playbook<never>],
        clock: systemClock,
        budgetMs: 60_000,
      });
      const record = (await migrations.get(id)) as unknown as MigrationRecord<TenantMoveParams>;
      if (record.phase !== phase) {
        phase = record.phase;
        log(
          `  ${((Date.now() - began) / 1000).toFixed(1)} s: ${phase}${record.params.lagMs === undefined ? '' : ` (lag ${record.params.lagMs} ms)`}`,
        );
      }
      if (record.phase === until) return record;
      if (record.lastError) log(`step failed: ${record.lastError}; retrying`);
      await sleep(200);
    }
  };

  const shards = topology.map((shard) => shard.name);
  const pick = <T>(values: readonly T[]) => values[Math.floor(Math.random() * values.length)]!;
  const results: Record<string, unknown>[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const from = pick(shards);
      const to = pick(shards.filter((shard) => shard !== from));
      const items = Math.round(itemsPerTenant * (0.9 + Math.random() * 0.2));
      const mover = await createTenant(`mover-${r}`, from);
      const acked: Acked = { conversations: new Map() };
      // The neighbours: half of them on the moving tenant's own source shard. They start writing before the seed,
      // which doubles as the engine's warm-up.
      const others = await Promise.all(
        Array.from({ length: OTHER_TENANTS }, async (_, n) => ({
          id: await createTenant(`other-${r}-${n}`, n % 2 === 0 ? from : pick(shards)),
          acked: { conversations: new Map() } as Acked,
        })),
      );
      let stop = false;
      const otherWriters = await Promise.all(
        others.map(async (other) => startWriter(await writerFor(other.id), other.acked, () => stop, OTHER_PAUSE_MS)),
      );
      await seed(doc, tableOf(from), mover, items, acked);
      const moverWriters = await Promise.all(
        Array.from({ length: MOVER_WRITERS }, async () => startWriter(await writerFor(mover), acked, () => stop, MOVER_PAUSE_MS)),
      );
      await sleep((r === 0 ? WARM_UP_MS : 0) + BASELINE_MS);
      log(`run ${r + 1}/${runs}: ${mover} (${items} items) ${from} → ${to}`);
      const started = Date.now();
      const move = await moves.admin.start(mover, to);
      const soaking = await runner(move.id, 'soaking');
      const cutover = Date.now();
      await sleep(2500);
      await moves.admin.complete(mover);
      await runner(move.id, 'completed');
      stop = true;
      await Promise.all([...moverWriters, ...otherWriters].map((writer) => writer.done));

      const window = (from: number, until: number) =>
        otherWriters
          .flatMap((writer) => writer.latencies.filter((sample) => sample.at >= from && sample.at < until).map((sample) => sample.ms))
          .sort((a, b) => a - b);
      const before = window(started - BASELINE_MS, started);
      const during = window(started, cutover);
      const moverAudit = await audit(moves, to, mover, acked);
      const otherAudits = await Promise.all(
        others.map(async (other) => audit(moves, (await control.getTenant(other.id))!.shard, other.id, other.acked)),
      );
      const result = {
        from,
        to,
        items,
        move_s: round((cutover - started) / 1000),
        phase_s: phaseSeconds(soaking.phaseTimestamps, started, cutover),
        fence_ms: soaking.params.cutover.fenceMs ?? null,
        cutover_attempts: soaking.params.cutover.attempts,
        catch_up_lag_ms: soaking.params.lagMs ?? null,
        mover_writes: [...acked.conversations.values()].reduce((sum, state) => sum + state.comments.size + 1, 0) - items,
        mover_refused_503: moverWriters.reduce((sum, writer) => sum + writer.refused, 0),
        mover_write_max_ms: round(
          Math.max(
            ...moverWriters.flatMap((writer) => writer.latencies.filter((s) => s.at >= started && s.at <= cutover + 1000).map((s) => s.ms)),
          ),
        ),
        mover_writes_per_s_during: round(
          moverWriters.reduce((sum, writer) => sum + writer.latencies.filter((s) => s.at >= started && s.at < cutover).length, 0) /
            ((cutover - started) / 1000),
        ),
        others_writes_per_s_during: round(during.length / ((cutover - started) / 1000)),
        others_refused_503: otherWriters.reduce((sum, writer) => sum + writer.refused, 0),
        others_p99_before_ms: round(percentile(before, 99)),
        others_p99_during_ms: round(percentile(during, 99)),
        lost: moverAudit.lost + otherAudits.reduce((sum, other) => sum + other.lost, 0),
        duplicated: moverAudit.duplicated + otherAudits.reduce((sum, other) => sum + other.duplicated, 0),
        stale: moverAudit.stale + otherAudits.reduce((sum, other) => sum + other.stale, 0),
        left_on_source: (await audit(moves, from, mover, { conversations: new Map() })).items,
      };
      log(`run ${r + 1}: ${JSON.stringify(result)}`);
      results.push(result);
    }
  } finally {
    await Promise.all(replicators.map((replicator) => replicator.stop()));
    doc.destroy();
    await dynamo.stop();
    rmSync(checkpoints, { recursive: true, force: true });
  }
  const fences = results.map((result) => result.fence_ms as number).sort((a, b) => a - b);
  const ratios = results.map((result) => (result.others_p99_during_ms as number) / (result.others_p99_before_ms as number));
  const sum = (key: string) => results.reduce((total, result) => total + (result[key] as number), 0);
  return {
    items: itemsPerTenant,
    move_s: round(sum('move_s') / results.length),
    fence_p50_ms: round(percentile(fences, 50)),
    fence_p99_ms: round(percentile(fences, 99)),
    others_write_p99_ratio: round(Math.max(...ratios), 2),
    runs: results.length,
    lost: sum('lost'),
    duplicated: sum('duplicated'),
    stale: sum('stale'),
    per_run: results,
  };
}

const benchmark: Benchmark = {
  goals: {
    fence_p99_ms: '<= 2000 (stretch 500)',
    others_write_p99_ratio: '<= 1.5 (other tenants’ write p99 during the move / before it; worst run)',
    lost: '0',
    duplicated: '0',
    stale: '0',
  },
  run,
};

export default benchmark;
