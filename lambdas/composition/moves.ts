// The tenant-move composition: the adapters behind the move playbook, the move replicator and the operator
// commands, built from the platform's shared parts on first use. Only the functions that move tenants (the move
// admin, the replicator, the migration runner) import this file.
import type { DocumentClient } from '../adapters/aws/aws-clients.js';
import { DynamoBarrierLog } from '../adapters/aws/dynamo-barrier-log.js';
import { DynamoShardItems } from '../adapters/aws/dynamo-shard-items.js';
import { DynamoShardStats } from '../adapters/aws/dynamo-shard-stats.js';
import { DynamoTenantScan } from '../adapters/aws/dynamo-tenant-scan.js';
import { DynamoTenantPlacement } from '../adapters/aws/dynamo-tenant-placement.js';
import type { ChangeRecord } from '../core/jobs/change-capture.js';
import type { MigrationRecord, Playbook } from '../core/migrations/migration-runner.js';
import { moveAdmin, type MoveAdmin } from '../core/moves/move-admin.js';
import { cachedRoutes, replicateChanges, type ReplicationResult } from '../core/moves/move-replication.js';
import type { Clock, ControlStore, MigrationStore } from '../core/ports.js';
import { replicationRoutes, tenantMovePlaybook, type MoveShard, type TenantMoveParams } from '../core/moves/tenant-move.js';
import type { TenantItemSource } from '../core/tenancy/tenant-items.js';
import { wakeMigration } from './migration-launcher.js';
import type { Platform } from './platform.js';
import type { ShardName } from '../core/tenancy/tenancy.js';
import { DEFAULT_TENANT_MOVE_SETTINGS } from '../core/moves/tenant-move-settings.js';
import { shardOfTable, tableOfShard } from '../core/tenancy/shard-topology.js';
import type { RuntimeEnvironment } from '../environment.js';

export interface MoveServices {
  readonly admin: MoveAdmin;
  readonly playbook: Playbook<TenantMoveParams>;
  /** Applies a batch of changes committed on `shard` wherever an active move replicates that shard. */
  replicate(shard: ShardName, records: readonly ChangeRecord[]): Promise<ReplicationResult>;
  /** The shard whose table is `tableName` (stream events name the table, not the shard). */
  shardOfTable(tableName: string): ShardName | undefined;
  /** Everything a tenant owns on one shard, idempotency keys and summaries included (what a move copies, verifies and cleans up). */
  enumerate(shard: ShardName): TenantItemSource;
}

export interface MoveServicesOptions {
  readonly doc: DocumentClient;
  readonly env: RuntimeEnvironment;
  readonly control: ControlStore;
  readonly clock: Clock;
  readonly migrations: MigrationStore;
  readonly startRunner: (migrationId: string) => Promise<void>;
  /** Writes per second on a shard, when the platform can tell (CloudWatch on AWS, the stream pollers locally). */
  readonly writeRate?: (shard: ShardName) => Promise<number | null>;
}

export function composeMoves({ doc, env, control, clock, migrations, startRunner, writeRate }: MoveServicesOptions): MoveServices {
  const settings = env.tenantMove ?? DEFAULT_TENANT_MOVE_SETTINGS;
  const tableOf = (name: ShardName) => tableOfShard(env.shards, name);
  const shards = new Map<ShardName, MoveShard & { items: DynamoShardItems }>();
  const shard = (name: ShardName) => {
    let found = shards.get(name);
    if (!found) {
      const items = new DynamoShardItems(doc, tableOf(name));
      found = { items, markers: items, enumerate: new DynamoTenantScan(doc, tableOf(name)) };
      shards.set(name, found);
    }
    return found;
  };
  const barriers = new DynamoBarrierLog(doc, env.controlTable);
  const routes = cachedRoutes(async () =>
    ((await migrations.list('tenant-move')) as unknown as MigrationRecord<TenantMoveParams>[]).flatMap(replicationRoutes),
  );

  return {
    admin: moveAdmin({
      migrations,
      control,
      topology: env.shards,
      clock,
      startRunner,
      shardStats: new DynamoShardStats(doc, tableOf, writeRate),
      directoryCacheSeconds: env.directoryCacheSeconds,
    }),
    playbook: tenantMovePlaybook({
      control,
      placement: new DynamoTenantPlacement(doc, env.controlTable),
      shard,
      barriers,
      clock,
      settings,
    }),
    replicate: (from, records) => replicateChanges(from, records, { routes, shard: (name) => shard(name).items, barriers }),
    shardOfTable: (tableName) => shardOfTable(env.shards, tableName) as ShardName | undefined,
    enumerate: (name) => shard(name).enumerate,
  };
}

/** This platform's move composition, built on first use and shared by every invocation of the instance. */
export const movesOf = (platform: Platform): Promise<MoveServices> =>
  platform.parts.once(movesOf, async () => {
    const { doc, env, control, clock, migrations, host } = platform.parts;
    return composeMoves({
      doc,
      env,
      control,
      clock,
      migrations,
      startRunner: (id) => wakeMigration(platform, id),
      ...(host.shardWriteRate ? { writeRate: host.shardWriteRate } : {}),
    });
  });
