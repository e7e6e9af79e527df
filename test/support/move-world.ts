// A tenant-move world on the run's DynamoDB Local: shard tables and a control table, the move composition over
// them, one move replicator (a real stream poller) per shard, tenants with writers that follow the directory like
// the API does (fenced store over the DynamoDB conversation store), and a runner that can be "killed" mid-step.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { DynamoControlStore } from '../../lambdas/adapters/aws/dynamo-control-store.js';
import { DynamoConversationStore } from '../../lambdas/adapters/aws/dynamo-conversation-store.js';
import { DynamoMigrationStore } from '../../lambdas/adapters/aws/dynamo-migration-store.js';
import type { ChangeRecord } from '../../lambdas/core/jobs/change-capture.js';
import { runMigrationSteps, type MigrationRecord, type Playbook } from '../../lambdas/core/migrations/migration-runner.js';
import { fencedConversationStore } from '../../lambdas/core/tenancy/placement-fence.js';
import { systemClock, type ConversationStore } from '../../lambdas/core/ports.js';
import { createTenantDirectory, type TenantDirectory } from '../../lambdas/core/tenancy/tenant-directory.js';
import type { TenantMoveParams } from '../../lambdas/core/moves/tenant-move.js';
import type { TenantContext, TenantId, TenantProfile } from '../../lambdas/core/tenancy/tenancy.js';
import { DEFAULT_TENANT_MOVE_SETTINGS, type TenantMoveSettings } from '../../lambdas/core/moves/tenant-move-settings.js';
import type { RuntimeEnvironment } from '../../lambdas/environment.js';
import { composeMoves, type MoveServices } from '../../lambdas/composition/moves.js';
import { startDynamoDbStreamSource, type DynamoDbStreamSource } from '../../local/dynamodb-stream-source.js';
import { createTestTables, type TestTables } from './dynamo.js';

export interface MoveWorld {
  readonly tables: TestTables;
  readonly control: DynamoControlStore;
  readonly migrations: DynamoMigrationStore;
  readonly moves: MoveServices;
  readonly replicators: DynamoDbStreamSource[];
  /** Creates a tenant directly in the control table on `shard`. */
  tenant(id: string, shard: string): Promise<TenantId>;
  /** A writer's store, the way the API builds it: its own directory cache (`ttlSeconds`), fenced writes. */
  writer(tenantId: TenantId, options?: { ttlSeconds?: number; maxWaitMs?: number }): Promise<ConversationStore>;
  /** A store bound to a fixed route (no following): what a Lambda with a stale cached route writes through. */
  pinned(route: TenantContext): ConversationStore;
  /** Runs the move until it stops by itself (a wait, or a terminal phase), with the given step budget. */
  run(id: string, budgetMs?: number): Promise<MigrationRecord<TenantMoveParams>>;
  /** A runner that lives for exactly one saved step (then "dies"). */
  runOneStep(id: string): Promise<void>;
  record(id: string): Promise<MigrationRecord<TenantMoveParams>>;
  /** Every item of `tenantId` on `shard`: conversations, comments, summaries and idempotency keys. */
  items(shard: string, tenantId: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

const image = (value: Record<string, unknown> | undefined) => (value ? unmarshall(value as Record<string, AttributeValue>) : undefined);

const toChange = (record: DynamoDBRecord): ChangeRecord => ({
  eventName: record.eventName as ChangeRecord['eventName'],
  sequenceNumber: record.dynamodb?.SequenceNumber ?? '',
  approximateCreationTime: new Date().toISOString(),
  newImage: image(record.dynamodb?.NewImage),
  oldImage: image(record.dynamodb?.OldImage),
});

export async function createMoveWorld(
  options: { shards?: number; dedicated?: Record<string, string>; settings?: Partial<TenantMoveSettings> } = {},
): Promise<MoveWorld> {
  const tables = await createTestTables(options.shards ?? 3, options.dedicated ?? {});
  const env: RuntimeEnvironment = {
    shards: tables.topology,
    controlTable: tables.controlTable,
    // The operator's `complete` waits 2× this after the flip; tests complete at once.
    directoryCacheSeconds: 0,
    idempotencyTtlSeconds: 86_400,
    defaultTier: 'standard',
    flagCacheSeconds: 15,
    tenantMove: {
      ...DEFAULT_TENANT_MOVE_SETTINGS,
      backfillItemsPerSecond: 20_000,
      barrierBeacons: 4,
      // Build machines are shared: a barrier round may take seconds there, and the gate is about catching up at all.
      catchUpLagMs: 3000,
      cutoverTimeoutMs: 3000,
      ...options.settings,
    },
  } as RuntimeEnvironment;
  const control = new DynamoControlStore(tables.doc, tables.controlTable);
  const migrations = new DynamoMigrationStore(tables.doc, tables.controlTable);
  const moves = composeMoves({ doc: tables.doc, env, control, clock: systemClock, migrations, startRunner: async () => undefined });
  const dir = mkdtempSync(join(tmpdir(), 'headroom-move-'));
  const replicators = await Promise.all(
    tables.topology.map((shard) =>
      startDynamoDbStreamSource({
        endpoint: tables.endpoint,
        tableName: shard.table,
        checkpointFile: join(dir, `${shard.name}.json`),
        pollIntervalMs: 50,
        batchSize: 1000,
        handler: async (event) => {
          const result = await moves.replicate(shard.name, event.Records.map(toChange));
          return { batchItemFailures: result.failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
        },
      }),
    ),
  );
  const tableOf = (shard: string) => tables.topology.find((candidate) => candidate.name === shard)!.table;
  const storeFor = (route: TenantContext) => new DynamoConversationStore(tables.doc, tableOf(route.shard), route.tenantId, route.epoch);
  const directories: TenantDirectory[] = [];

  return {
    tables,
    control,
    migrations,
    moves,
    replicators,
    async tenant(id, shard) {
      const profile: TenantProfile = {
        tenantId: id as TenantId,
        shard,
        epoch: 1,
        group: id,
        tier: 'standard',
        status: 'active',
        createdAt: new Date().toISOString(),
        tokenHash: `hash-${id}-${Math.random()}`,
        usageKey: `key-${id}`,
      };
      if (!(await control.createTenant(profile))) throw new Error(`tenant ${id} exists`);
      return profile.tenantId;
    },
    async writer(tenantId, { ttlSeconds = 30, maxWaitMs = 2000 } = {}) {
      const directory = createTenantDirectory({ store: control, clock: systemClock, ttlSeconds });
      directories.push(directory);
      const profile = await directory.resolve(tenantId);
      if (!profile) throw new Error(`no tenant ${tenantId}`);
      const route: TenantContext = { tenantId, shard: profile.shard, epoch: profile.epoch, group: profile.group, tier: profile.tier };
      return fencedConversationStore(route, { directory, storeFor, clock: systemClock, maxWaitMs });
    },
    pinned: storeFor,
    async run(id, budgetMs = 60_000) {
      await runMigrationSteps(id, {
        store: migrations,
        playbooks: [moves.playbook as unknown as Playbook<never>],
        clock: systemClock,
        budgetMs,
      });
      return (await migrations.get(id)) as unknown as MigrationRecord<TenantMoveParams>;
    },
    async runOneStep(id) {
      const stop = new Error('runner stopped after one step');
      await runMigrationSteps(id, {
        store: migrations,
        playbooks: [moves.playbook as unknown as Playbook<never>],
        clock: systemClock,
        budgetMs: 60_000,
        onStep: () => {
          throw stop;
        },
      }).catch((error: unknown) => {
        if (error !== stop) throw error;
      });
    },
    async record(id) {
      return (await migrations.get(id)) as unknown as MigrationRecord<TenantMoveParams>;
    },
    async items(shard, tenantId) {
      const items: Record<string, unknown>[] = [];
      const source = moves.enumerate(shard);
      let cursor: string | undefined;
      do {
        const page = await source.page(tenantId as TenantId, cursor, 500);
        items.push(...page.items);
        cursor = page.cursor;
      } while (cursor);
      return items;
    },
    async close() {
      await Promise.all(replicators.map((replicator) => replicator.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
