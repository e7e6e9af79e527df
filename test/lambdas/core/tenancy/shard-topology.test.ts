// Placement rules for moves: every bad target is refused with a reason an operator can act on.
import { describe, expect, it } from 'vitest';
import type { ShardTopology } from '../../../../lambdas/core/tenancy/shard-topology.js';
import {
  decodeShardTopology,
  encodeShardTopology,
  refuseMove,
  sharedShards,
  startMoveSchema,
} from '../../../../lambdas/core/tenancy/shard-topology.js';
import type { TenantId, TenantProfile } from '../../../../lambdas/core/tenancy/tenancy.js';

const topology: ShardTopology = [
  { name: 'shard-0', table: 't0' },
  { name: 'shard-1', table: 't1' },
  { name: 'shard-2', table: 't2', dedicatedTo: 'bigco' },
];
const profile = (tenantId: string, shard: string): TenantProfile => ({
  tenantId: tenantId as TenantId,
  shard,
  epoch: 1,
  group: tenantId,
  tier: 'standard',
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  tokenHash: 'h',
  usageKey: 'k',
});
const acme = 'acme' as TenantId;

describe('shard topology', () => {
  it('places new tenants only on shared shards', () => {
    expect(sharedShards(topology).map((shard) => shard.name)).toEqual(['shard-0', 'shard-1']);
  });

  it.each([
    ['the shard the tenant is on', 'shard-0', undefined, 'same-shard', /already lives on shard-0/],
    ['an unknown shard', 'shard-9', undefined, 'unknown-shard', /Known shards: shard-0, shard-1, shard-2/],
    ['a shard dedicated to someone else', 'shard-2', undefined, 'dedicated-to-another', /dedicated to tenant bigco/],
    ['anywhere while already moving', 'shard-1', 'move-acme-1', 'already-moving', /already moving \(move-acme-1\)/],
  ])('refuses a move to %s', (_what, target, activeMove, reason, detail) => {
    const refusal = refuseMove(topology, {
      tenantId: acme,
      profile: profile('acme', 'shard-0'),
      target,
      ...(activeMove ? { activeMove } : {}),
    });
    expect(refusal?.reason).toBe(reason);
    expect(refusal?.detail).toMatch(detail);
  });

  it('refuses an unknown tenant and allows a move to a shared shard or to the tenant’s own dedicated shard', () => {
    expect(refuseMove(topology, { tenantId: acme, profile: undefined, target: 'shard-1' })?.reason).toBe('unknown-tenant');
    expect(refuseMove(topology, { tenantId: acme, profile: profile('acme', 'shard-0'), target: 'shard-1' })).toBeUndefined();
    expect(
      refuseMove(topology, { tenantId: 'bigco' as TenantId, profile: profile('bigco', 'shard-0'), target: 'shard-2' }),
    ).toBeUndefined();
  });

  it('validates the move request body', () => {
    expect(startMoveSchema.safeParse({ to: 'shard-3' }).success).toBe(true);
    expect(startMoveSchema.safeParse({ to: 'elsewhere' }).success).toBe(false);
    expect(startMoveSchema.safeParse({ to: 'shard-1', extra: true }).success).toBe(false);
  });
});

describe('the shard topology in a function environment', () => {
  const named = (numbers: readonly number[], dedicated: Record<string, string> = {}): ShardTopology =>
    numbers.map((n) => ({
      name: `shard-${n}`,
      table: `headroom-prod-shard-${n}`,
      ...(dedicated[`shard-${n}`] ? { dedicatedTo: dedicated[`shard-${n}`] } : {}),
    }));

  it('reads back exactly the topology it was given, gaps and dedications included', () => {
    const topology = named([0, 1, 2, 3, 5, 9, 10, 11], { 'shard-9': 'bigco' });
    const encoded = encodeShardTopology(topology);
    expect(JSON.parse(encoded)).toEqual({ tablePrefix: 'headroom-prod-', shards: '0-3,5,9-11', dedicated: { 'shard-9': 'bigco' } });
    expect(decodeShardTopology(encoded)).toEqual(topology);
  });

  it('stays the same size from 4 to 64 shards but for the digits of the last one', () => {
    const range = (count: number) => Array.from({ length: count }, (_, n) => n);
    expect(encodeShardTopology(named(range(64))).length - encodeShardTopology(named(range(4))).length).toBe(1);
  });

  it('refuses tables that do not share one prefix, and ranges or dedications it cannot read', () => {
    expect(() => encodeShardTopology([...named([0]), { name: 'shard-1', table: 'other-shard-1' }])).toThrow(
      /other-shard-1 is not named headroom-prod-shard-1/,
    );
    expect(() => decodeShardTopology('{"tablePrefix":"p-","shards":"3-1"}')).toThrow(/runs backwards/);
    expect(() => decodeShardTopology('{"tablePrefix":"p-","shards":"0-1","dedicated":{"shard-7":"x"}}')).toThrow(/shard-7 is not among/);
    expect(() => decodeShardTopology('{"tablePrefix":"p-","shards":"zero"}')).toThrow(/0-3,7/);
  });
});
