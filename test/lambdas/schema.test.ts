// Keys are built and read only through lambdas/schema.ts: a partition key parses back to what built it, so moves
// can tell a tenant's items, its per-shard placement markers and barrier beacons apart without knowing the layout.
import { describe, expect, it } from 'vitest';
import { parseShardPartition, shardKeys } from '../../lambdas/schema.js';

describe('parseShardPartition', () => {
  it("reads back the tenant of every tenant item's key, and tells its placement markers apart", () => {
    const items = [
      shardKeys.conversation('acme', 'c1'),
      shardKeys.comment('acme', 'c1', 'm1'),
      shardKeys.summary('acme', 'c1'),
      shardKeys.idempotency('acme', 'key-1'),
      // A conversation id that looks like a marker is still a conversation.
      shardKeys.conversation('acme', 'PLACEMENT#1'),
    ];
    for (const { pk } of items) expect(parseShardPartition(pk), pk).toEqual({ kind: 'tenant', tenantId: 'acme', placement: false });
    expect(parseShardPartition(shardKeys.placement('acme', 3).pk)).toEqual({ kind: 'tenant', tenantId: 'acme', placement: true });
  });

  it('reads back a barrier beacon, whatever its move id contains', () => {
    expect(parseShardPartition(shardKeys.beacon('move-1', 2, 17).pk)).toEqual({ kind: 'beacon', moveId: 'move-1', round: 2, n: 17 });
    expect(parseShardPartition(shardKeys.beacon('acme#shard-1', 0, 63).pk)).toEqual({
      kind: 'beacon',
      moveId: 'acme#shard-1',
      round: 0,
      n: 63,
    });
  });

  it('names nothing for a key it does not build', () => {
    for (const pk of ['', 'META', 'T#', 'T#acme', 'T##C#c1', 'TENANT#acme', '~BEACON#move-1#x#1', '~BEACON#'])
      expect(parseShardPartition(pk), pk).toBeUndefined();
  });
});
