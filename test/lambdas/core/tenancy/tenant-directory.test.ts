import { describe, expect, it } from 'vitest';
import type { ShardTopology } from '../../../../lambdas/core/tenancy/shard-topology.js';
import type { Clock, ControlStore } from '../../../../lambdas/core/ports.js';
import { createTenantDirectory, rendezvousShard } from '../../../../lambdas/core/tenancy/tenant-directory.js';
import type { TenantId, TenantProfile } from '../../../../lambdas/core/tenancy/tenancy.js';

const topology = (count: number, dedicated: Record<number, string> = {}): ShardTopology =>
  Array.from({ length: count }, (_, n) => ({
    name: `shard-${n}`,
    table: `t-${n}`,
    ...(dedicated[n] ? { dedicatedTo: dedicated[n] } : {}),
  }));

const tenants = Array.from({ length: 4000 }, (_, n) => `tenant-${n}`);

describe('rendezvous placement', () => {
  it('is deterministic', () => {
    expect(tenants.map((t) => rendezvousShard(t, topology(4)))).toEqual(tenants.map((t) => rendezvousShard(t, topology(4))));
  });

  it('spreads tenants evenly over shared shards', () => {
    const counts = new Map<string, number>();
    for (const tenant of tenants) {
      const shard = rendezvousShard(tenant, topology(4));
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }
    expect(counts.size).toBe(4);
    for (const count of counts.values()) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });

  it('never places a tenant on a dedicated shard', () => {
    const shards = topology(4, { 2: 'bigco' });
    expect(tenants.some((tenant) => rendezvousShard(tenant, shards) === 'shard-2')).toBe(false);
  });

  it('moves only the tenants that now prefer a newly added shard', () => {
    const before = tenants.map((t) => rendezvousShard(t, topology(4)));
    const after = tenants.map((t) => rendezvousShard(t, topology(5)));
    const moved = after.filter((shard, i) => shard !== before[i]);
    expect(moved.every((shard) => shard === 'shard-4')).toBe(true);
    expect(moved.length / tenants.length).toBeGreaterThan(0.15);
    expect(moved.length / tenants.length).toBeLessThan(0.25);
  });

  it('refuses a topology without a shared shard', () => {
    expect(() => rendezvousShard('a', topology(1, { 0: 'x' }))).toThrow(/no shared shard/);
  });
});

describe('tenant directory cache', () => {
  const profile = (shard: string): TenantProfile => ({
    tenantId: 'acme' as TenantId,
    shard,
    epoch: 1,
    group: 'acme',
    tier: 'standard',
    status: 'active',
    createdAt: '2026-01-01T00:00:00.000Z',
    tokenHash: 'h',
    usageKey: 'u',
  });

  function fixture(ttlSeconds: number, maxEntries?: number) {
    let now = 0;
    let current: TenantProfile | undefined = profile('shard-0');
    let reads = 0;
    const clock: Clock = { now: () => new Date(now) };
    const store = {
      getTenant: async () => {
        reads++;
        return current;
      },
    } as unknown as ControlStore;
    const directory = createTenantDirectory({ store, clock, ttlSeconds, ...(maxEntries ? { maxEntries } : {}) });
    return {
      directory,
      advance: (ms: number) => (now += ms),
      set: (next: TenantProfile | undefined) => (current = next),
      reads: () => reads,
    };
  }

  it('serves from cache within the TTL and sees a change after it', async () => {
    const f = fixture(30);
    expect((await f.directory.resolve('acme' as TenantId))?.shard).toBe('shard-0');
    f.set(profile('shard-3'));
    f.advance(29_999);
    expect((await f.directory.resolve('acme' as TenantId))?.shard).toBe('shard-0');
    f.advance(2);
    expect((await f.directory.resolve('acme' as TenantId))?.shard).toBe('shard-3');
    expect(f.reads()).toBe(2);
  });

  it('does not cache unknown tenants', async () => {
    const f = fixture(30);
    f.set(undefined);
    expect(await f.directory.resolve('ghost' as TenantId)).toBeUndefined();
    f.set(profile('shard-1'));
    expect((await f.directory.resolve('ghost' as TenantId))?.shard).toBe('shard-1');
  });

  it('stays within its entry bound', async () => {
    const f = fixture(30, 2);
    for (const id of ['a', 'b', 'c']) await f.directory.resolve(id as TenantId);
    const readsBefore = f.reads();
    await f.directory.resolve('a' as TenantId);
    expect(f.reads()).toBe(readsBefore + 1);
  });
});
