// Stream-driven catch-up on DynamoDB Local: changes are applied version-guarded, so a record delivered twice or
// later than a newer one never regresses the target; removals and other tenants are never copied; a barrier beacon
// is logged only when everything before it in the batch was applied.
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoShardItems } from '../../../../lambdas/adapters/aws/dynamo-shard-items.js';
import type { ChangeRecord } from '../../../../lambdas/core/jobs/change-capture.js';
import { replicateChanges, type BarrierLog, type ReplicationRoute, type ShardItemStore } from '../../../../lambdas/core/moves/move-replication.js';
import { diffSourcePage, diffTargetPage, emptyDiff, recheckInFence } from '../../../../lambdas/core/moves/shard-diff.js';
import type { TenantId } from '../../../../lambdas/core/tenancy/tenancy.js';
import { shardKeys } from '../../../../lambdas/schema.js';
import { createTestTables, type TestTables } from '../../../support/dynamo.js';

let tables: TestTables;
let shards: Record<string, DynamoShardItems>;

beforeAll(async () => {
  tables = await createTestTables(2);
  shards = Object.fromEntries(tables.topology.map((shard) => [shard.name, new DynamoShardItems(tables.doc, shard.table)]));
});

const memoryBarriers = (): BarrierLog & { log: Map<string, Set<number>> } => {
  const log = new Map<string, Set<number>>();
  return {
    log,
    async record(moveId, round, beacons) {
      const key = `${moveId}/${round}`;
      log.set(key, new Set([...(log.get(key) ?? []), ...beacons]));
    },
    async seen(moveId, round) {
      return log.get(`${moveId}/${round}`) ?? new Set();
    },
  };
};

let sequence = 0;
const change = (eventName: ChangeRecord['eventName'], image: Record<string, unknown>): ChangeRecord => ({
  eventName,
  sequenceNumber: String(++sequence),
  approximateCreationTime: new Date().toISOString(),
  ...(eventName === 'REMOVE' ? { oldImage: image } : { newImage: image }),
});
const meta = (tenant: string, id: string, v: number, deleted = false) => ({
  ...shardKeys.conversation(tenant, id),
  type: 'conversation',
  tenantId: tenant,
  id,
  subject: `v${v}`,
  v,
  deleted,
});
const route = (tenant: string): ReplicationRoute => ({ moveId: 'm1', tenantId: tenant as TenantId, from: 'shard-0', to: 'shard-1' });
const deps = (routes: ReplicationRoute[], barriers = memoryBarriers(), shard = (name: string): ShardItemStore => shards[name]!) => ({
  routes: async () => routes,
  shard,
  barriers,
});
const read = async (tenant: string, id: string) =>
  (await shards['shard-1']!.getMany([shardKeys.conversation(tenant, id)])).get(`${shardKeys.conversation(tenant, id).pk}\u0000META`);

describe('move replication', () => {
  it('applies duplicates and out-of-order deliveries without ever regressing a newer version', async () => {
    const records = [
      change('INSERT', meta('r1', 'a', 1)),
      change('MODIFY', meta('r1', 'a', 2)),
      change('MODIFY', meta('r1', 'a', 3, true)),
    ];
    expect(await replicateChanges('shard-0', records, deps([route('r1')]))).toMatchObject({ applied: 3, failedSequenceNumbers: [] });
    // The same batch again (a redelivery), then an old record arriving late.
    expect(await replicateChanges('shard-0', records, deps([route('r1')]))).toMatchObject({ applied: 0, stale: 3 });
    await replicateChanges('shard-0', [change('MODIFY', meta('r1', 'a', 2))], deps([route('r1')]));
    expect(await read('r1', 'a')).toMatchObject({ v: 3, deleted: true, subject: 'v3' });
  });

  it('copies only moving tenants, never removals or placement markers, and only from the route’s source shard', async () => {
    const records = [
      change('INSERT', meta('r2', 'b', 1)),
      change('INSERT', meta('bystander', 'c', 1)),
      change('REMOVE', meta('r2', 'd', 4)),
      change('INSERT', { ...shardKeys.placement('r2', 0), type: 'placement', state: 'fenced', epoch: 1 }),
    ];
    expect(await replicateChanges('shard-0', records, deps([route('r2')]))).toMatchObject({ applied: 1 });
    expect(await replicateChanges('shard-1', [change('INSERT', meta('r2', 'e', 1))], deps([route('r2')]))).toMatchObject({
      applied: 0,
      stale: 0,
    });
    expect(await read('r2', 'b')).toBeDefined();
    expect(await read('bystander', 'c')).toBeUndefined();
    expect((await shards['shard-1']!.getMany([shardKeys.placement('r2', 0)])).size).toBe(0);
  });

  it('logs a beacon only once every change before it was applied, and reports the first failure for redelivery', async () => {
    const barriers = memoryBarriers();
    const failing = (name: string): ShardItemStore =>
      name === 'shard-1'
        ? {
            getMany: (keys) => shards[name]!.getMany(keys),
            deleteMany: (keys) => shards[name]!.deleteMany(keys),
            writeBeacons: (moveId, round, count) => shards[name]!.writeBeacons(moveId, round, count),
            putIfNewer: async (item) => {
              if (item.id === 'boom') throw new Error('throttled');
              return shards[name]!.putIfNewer(item);
            },
          }
        : shards[name]!;
    const records = [
      change('INSERT', { ...shardKeys.beacon('m1', 7, 0), type: 'beacon' }),
      change('INSERT', meta('r3', 'boom', 1)),
      change('INSERT', { ...shardKeys.beacon('m1', 7, 1), type: 'beacon' }),
    ];
    const result = await replicateChanges('shard-0', records, deps([route('r3')], barriers, failing));
    expect(result.failedSequenceNumbers).toEqual([records[1]!.sequenceNumber]);
    expect([...(await barriers.seen('m1', 7))]).toEqual([0]);
  });
});

describe('shard diff (VDiff)', () => {
  it('reports matching, mismatched, missing and extra with sample keys, and separates keys that changed during the scan', async () => {
    const [source, target] = [shards['shard-0']!, shards['shard-1']!];
    const items = [meta('d1', 'same', 2), meta('d1', 'behind', 3), meta('d1', 'absent', 1), meta('d1', 'moving', 1)];
    for (const item of items) await source.putIfNewer(item);
    await target.putIfNewer(meta('d1', 'same', 2));
    await target.putIfNewer(meta('d1', 'behind', 2));
    await target.putIfNewer(meta('d1', 'orphan', 1));
    // "moving" changed on the source after the scan read it at version 1, and the change already reached the target.
    await source.putIfNewer(meta('d1', 'moving', 2));
    await target.putIfNewer(meta('d1', 'moving', 2));

    const page = await diffSourcePage(items, source, target, emptyDiff());
    expect(page.report).toMatchObject({ processed: 4, matching: 1, mismatched: 1, missing: 1, changedDuringScan: 1 });
    expect(page.report.samples.missing).toEqual([`${shardKeys.conversation('d1', 'absent').pk} META`]);
    expect(page.recheck).toHaveLength(3);
    const report = await diffTargetPage([meta('d1', 'orphan', 1), meta('d1', 'same', 2)], source, page.report);
    expect(report).toMatchObject({ extra: 1 });
    expect(report.samples.extra).toEqual([`${shardKeys.conversation('d1', 'orphan').pk} META`]);

    // Inside the fence the source is settled: every re-checked key is brought up to date.
    expect(await recheckInFence(page.recheck, source, target)).toEqual({ checked: 3, repaired: 2, conflicting: 0 });
    expect((await diffSourcePage([...(await source.getMany(items)).values()], source, target, emptyDiff())).report).toMatchObject({
      matching: 4,
      mismatched: 0,
      missing: 0,
    });
  });
});
