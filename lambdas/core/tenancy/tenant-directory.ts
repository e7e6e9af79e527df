// Where each tenant lives. New tenants are placed by rendezvous hashing over the shared shards (stable when
// shards are added: only the tenants that now hash to the new shard would move, and placement is sticky anyway
// because it is stored). Lookups are cached per instance for a bounded time so a placement change is seen soon.
import { createHash } from 'node:crypto';
import type { ShardTopology } from './shard-topology.js';
import type { Clock, ControlStore } from '../ports.js';
import type { ShardName, TenantId, TenantProfile } from './tenancy.js';

export function rendezvousShard(tenantId: string, topology: ShardTopology): ShardName {
  const candidates = topology.filter((shard) => shard.dedicatedTo === undefined);
  let best: { name: ShardName; score: bigint } | undefined;
  for (const shard of candidates) {
    const score = createHash('sha256').update(`${tenantId}\u0000${shard.name}`).digest().readBigUInt64BE(0);
    if (!best || score > best.score) best = { name: shard.name, score };
  }
  if (!best) throw new Error('the shard topology has no shared shard to place tenants on');
  return best.name;
}

export interface TenantDirectoryOptions {
  readonly store: ControlStore;
  readonly clock: Clock;
  readonly ttlSeconds: number;
  /** Upper bound on cached entries per instance; the oldest entry is evicted first. */
  readonly maxEntries?: number;
}

export interface TenantDirectory {
  /** The tenant's profile, from cache when fresh; undefined for unknown tenants (not cached). */
  resolve(tenantId: TenantId): Promise<TenantProfile | undefined>;
  forget(tenantId: TenantId): void;
}

export function createTenantDirectory({ store, clock, ttlSeconds, maxEntries = 10_000 }: TenantDirectoryOptions): TenantDirectory {
  const cache = new Map<TenantId, { profile: TenantProfile; expires: number }>();
  return {
    async resolve(tenantId) {
      const now = clock.now().getTime();
      const hit = cache.get(tenantId);
      if (hit && hit.expires > now) return hit.profile;
      const profile = await store.getTenant(tenantId);
      cache.delete(tenantId);
      if (!profile) return undefined;
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as TenantId);
      cache.set(tenantId, { profile, expires: now + ttlSeconds * 1000 });
      return profile;
    },
    forget(tenantId) {
      cache.delete(tenantId);
    },
  };
}
