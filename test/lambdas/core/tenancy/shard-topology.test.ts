// Placement rules for moves: every bad target is refused with a reason an operator can act on.
import { describe, expect, it } from 'vitest';
import type { ShardTopology } from '../../../../lambdas/core/tenancy/shard-topology.js';
import { refuseMove, sharedShards, startMoveSchema } from '../../../../lambdas/core/tenancy/shard-topology.js';
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
