// The tenant-move composition: the adapters behind the move playbook, the move replicator and the operator
// commands, built from the same document client and environment as the rest of the platform (lambdas/composition/platform.ts
// composes it on first use, so request functions that never touch a move pay nothing for it).
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoBarrierLog } from '../adapters/aws/dynamo-barrier-log.js';
import { DynamoMigrationStore } from '../adapters/aws/dynamo-migration-store.js';
import { DynamoShardItems } from '../adapters/aws/dynamo-shard-items.js';
import { DynamoTenantScan } from '../adapters/aws/dynamo-tenant-scan.js';
import { DynamoTenantPlacement } from '../adapters/aws/dynamo-tenant-placement.js';
import type { ChangeRecord } from '../core/jobs/change-capture.js';
import type { MigrationRecord, Playbook } from '../core/migrations/migration-runner.js';
import { moveAdmin, type MoveAdmin, type ShardStats } from '../core/moves/move-admin.js';
import { cachedRoutes, replicateChanges, type ReplicationResult } from '../core/moves/move-replication.js';
import type { Clock, ControlStore, MigrationStore } from '../core/ports.js';
import { replicationRoutes, tenantMovePlaybook, type MoveShard, type TenantMoveParams } from '../core/moves/tenant-move.js';
import type { TenantItemSource } from '../core/tenancy/tenant-items.js';
import type { ShardName } from '../core/tenancy/tenancy.js';
import { DEFAULT_TENANT_MOVE_SETTINGS, shardOfTable, tableOfShard, type RuntimeEnvironment } from '../environment.js';

export interface MoveServices {
  readonly admin: MoveAdmin;
  readonly playbook: Playbook<TenantMoveParams>;
  /** Applies a batch of changes committed on `shard` wherever an active move replicates that shard. */
  replicate(shard: ShardName, records: readonly ChangeRecord[]): Promise<ReplicationResult>;
  /** The shard whose table is `tableName` (stream events name the table, not the shard). */
  shardOfTable(tableName: string): ShardName | undefined;
  /** Every conversation and comment of a tenant on one shard (what a move copies, verifies and cleans up). */
  enumerate(shard: ShardName): TenantItemSource;
}

export interface MoveServicesOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly env: RuntimeEnvironment;
  readonly control: ControlStore;
  readonly clock: Clock;
  readonly migrations?: MigrationStore;
  readonly startRunner: (migrationId: string) => Promise<void>;
  /** Writes per second on a shard, when the platform can tell (CloudWatch on AWS, the stream pollers locally). */
  readonly writeRate?: (shard: ShardName) => Promise<number | null>;
}

export function composeMoves({ doc, env, control, clock, migrations, startRunner, writeRate }: MoveServicesOptions): MoveServices {
  const settings = env.tenantMove ?? DEFAULT_TENANT_MOVE_SETTINGS;
  const store = migrations ?? new DynamoMigrationStore(doc, env.controlTable);
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
    ((await store.list('tenant-move')) as unknown as MigrationRecord<TenantMoveParams>[]).flatMap(replicationRoutes),
  );

  const shardStats: ShardStats = {
    async stats(name) {
      const described = await doc.send(new DescribeTableCommand({ TableName: tableOf(name) }));
      return { items: described.Table?.ItemCount ?? null, writesPerSecond: writeRate ? await writeRate(name) : null };
    },
  };

  return {
    admin: moveAdmin({
      migrations: store,
      control,
      topology: env.shards,
      clock,
      startRunner,
      shardStats,
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
