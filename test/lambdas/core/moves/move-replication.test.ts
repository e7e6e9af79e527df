// Stream-driven catch-up on DynamoDB Local: changes are applied version-guarded (idempotency keys on their expiry,
// summaries on the version they cover), so a record delivered twice or later than a newer one never regresses the
// target; removals (TTL expiries included) and other tenants are never copied; a barrier beacon is logged only when
// everything before it in the batch was applied. The VDiff compares every kind on its own version.
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoShardItems } from '../../../../lambdas/adapters/aws/dynamo-shard-items.js';
import type { ChangeRecord } from '../../../../lambdas/core/jobs/change-capture.js';
import {
  replicateChanges,
  type BarrierLog,
  type ReplicationRoute,
  type ShardItemStore,
} from '../../../../lambdas/core/moves/move-replication.js';
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
const claim = (tenant: string, key: string, expiresAt: number, response = `{"id":"${key}"}`) => ({
  ...shardKeys.idempotency(tenant, key),
  type: 'idempotency',
  tenantId: tenant,
  requestHash: `hash-${key}`,
  response,
  expiresAt,
});
const summary = (tenant: string, conversationId: string, coveredVersion: number) => ({
  ...shardKeys.summary(tenant, conversationId),
  type: 'summary',
  tenantId: tenant,
  conversationId,
  text: `covers v${coveredVersion}`,
  coveredVersion,
  generatedAt: new Date().toISOString(),
  route: 'primary',
});
const nowSeconds = () => Math.floor(Date.now() / 1000);
const route = (tenant: string): ReplicationRoute => ({ moveId: 'm1', tenantId: tenant as TenantId, from: 'shard-0', to: 'shard-1' });
const deps = (routes: ReplicationRoute[], barriers = memoryBarriers(), shard = (name: string): ShardItemStore => shards[name]!) => ({
  routes: async () => routes,
  shard,
  barriers,
});
const read = async (tenant: string, id: string) =>
  (await shards['shard-1']!.getMany([shardKeys.conversation(tenant, id)])).get(`${shardKeys.conversation(tenant, id).pk}\u0000META`);
const readKey = async (shard: string, key: { pk: string; sk: string }) =>
  (await shards[shard]!.getMany([key])).get(`${key.pk}\u0000${key.sk}`);

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

  it('copies idempotency keys on their expiry, keeping it, so a re-claim replaces the old claim and a late old one never does', async () => {
    const first = nowSeconds() + 3600;
    const again = first + 90_000;
    const records = [change('INSERT', claim('r4', 'k1', first)), change('MODIFY', claim('r4', 'k1', again, '{"id":"second"}'))];
    expect(await replicateChanges('shard-0', records, deps([route('r4')]))).toMatchObject({ applied: 2, stale: 0 });
    expect(await replicateChanges('shard-0', [change('MODIFY', claim('r4', 'k1', first))], deps([route('r4')]))).toMatchObject({
      applied: 0,
      stale: 1,
    });
    // The same epoch-seconds expiry as on the source: the key's remaining TTL is unchanged by the copy.
    expect(await readKey('shard-1', shardKeys.idempotency('r4', 'k1'))).toMatchObject({ expiresAt: again, response: '{"id":"second"}' });

    // A TTL expiry on the source is not copied: the target's copy expires at the same instant by itself.
    const expired = claim('r4', 'k2', nowSeconds() - 10);
    await replicateChanges('shard-0', [change('INSERT', expired)], deps([route('r4')]));
    expect(await replicateChanges('shard-0', [change('REMOVE', expired)], deps([route('r4')]))).toMatchObject({ applied: 0, stale: 0 });
    expect(await readKey('shard-1', shardKeys.idempotency('r4', 'k2'))).toMatchObject({ expiresAt: expired.expiresAt });
  });

  it('copies summaries on the conversation version they cover, never replacing a newer one with an older one', async () => {
    const records = [change('INSERT', summary('r5', 'c', 3)), change('MODIFY', summary('r5', 'c', 5))];
    expect(await replicateChanges('shard-0', records, deps([route('r5')]))).toMatchObject({ applied: 2 });
    expect(await replicateChanges('shard-0', [change('MODIFY', summary('r5', 'c', 4))], deps([route('r5')]))).toMatchObject({
      applied: 0,
      stale: 1,
    });
    expect(await readKey('shard-1', shardKeys.summary('r5', 'c'))).toMatchObject({ coveredVersion: 5, text: 'covers v5' });
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

    const page = await diffSourcePage(items, source, target, emptyDiff(), new Date());
    expect(page.report).toMatchObject({ processed: 4, matching: 1, mismatched: 1, missing: 1, changedDuringScan: 1 });
    expect(page.report.samples.missing).toEqual([`${shardKeys.conversation('d1', 'absent').pk} META`]);
    expect(page.recheck).toHaveLength(3);
    const report = await diffTargetPage([meta('d1', 'orphan', 1), meta('d1', 'same', 2)], source, page.report, new Date());
    expect(report).toMatchObject({ extra: 1 });
    expect(report.samples.extra).toEqual([`${shardKeys.conversation('d1', 'orphan').pk} META`]);

    // Inside the fence the source is settled: every re-checked key is brought up to date.
    expect(await recheckInFence(page.recheck, source, target, new Date())).toEqual({ checked: 3, repaired: 2, conflicting: 0 });
    expect(
      (await diffSourcePage([...(await source.getMany(items)).values()], source, target, emptyDiff(), new Date())).report,
    ).toMatchObject({
      matching: 4,
      mismatched: 0,
      missing: 0,
    });
  });

  it('compares idempotency keys and summaries on their own versions, counts them per kind, and treats an expired key as absent', async () => {
    const [source, target] = [shards['shard-0']!, shards['shard-1']!];
    const later = nowSeconds() + 3600;
    const items = [
      meta('d2', 'c', 4),
      claim('d2', 'same', later),
      claim('d2', 'absent', later),
      // Expired on the source and already gone from the target (TTL deletes each copy on its own schedule).
      claim('d2', 'expired', nowSeconds() - 60),
      summary('d2', 'c', 4),
    ];
    for (const item of items) await source.putIfNewer(item);
    for (const item of [meta('d2', 'c', 4), claim('d2', 'same', later), summary('d2', 'c', 3)]) await target.putIfNewer(item);
    // Expired on the target, and already deleted by TTL on the source: no extra.
    const leftover = claim('d2', 'leftover', nowSeconds() - 60);
    await target.putIfNewer(leftover);

    const page = await diffSourcePage(items, source, target, emptyDiff(), new Date());
    expect(page.report).toMatchObject({
      processed: 5,
      byKind: { conversation: 1, idempotency: 3, summary: 1 },
      matching: 3,
      missing: 1,
      mismatched: 1,
      changedDuringScan: 0,
    });
    expect(page.report.samples.missing).toEqual([`${shardKeys.idempotency('d2', 'absent').pk} IDEMPOTENCY`]);
    expect(page.report.samples.mismatched).toEqual([`${shardKeys.summary('d2', 'c').pk} SUMMARY`]);
    expect(await diffTargetPage([leftover, claim('d2', 'same', later)], source, page.report, new Date())).toMatchObject({ extra: 0 });
    expect(await diffTargetPage([claim('d2', 'live-orphan', later)], source, page.report, new Date())).toMatchObject({ extra: 1 });

    expect(await recheckInFence(page.recheck, source, target, new Date())).toEqual({ checked: 2, repaired: 2, conflicting: 0 });
    expect(await readKey('shard-1', shardKeys.summary('d2', 'c'))).toMatchObject({ coveredVersion: 4 });
    expect(await readKey('shard-1', shardKeys.idempotency('d2', 'absent'))).toMatchObject({ expiresAt: later });
  });
});
