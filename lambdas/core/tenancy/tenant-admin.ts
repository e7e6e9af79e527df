// Operator actions on tenants. A tenant's placement is chosen once at creation (or pinned by the operator) and
// a shard dedicated to one customer never receives anyone else. Tokens are returned once and never stored.
import type { CreateTenantInput, TenantView } from '../api-contract.js';
import type { ShardTopology } from './shard-topology.js';
import type { Tier } from './tiers.js';
import { hashToken, newApiToken } from './api-tokens.js';
import { Problem } from '../problems.js';
import type { Clock, ControlStore, UsageKeys } from '../ports.js';
import { rendezvousShard } from './tenant-directory.js';
import type { TenantId, TenantProfile } from './tenancy.js';

export interface TenantAdminDeps {
  readonly store: ControlStore;
  readonly clock: Clock;
  readonly topology: ShardTopology;
  readonly defaultTier: Tier;
  readonly usageKeys: UsageKeys;
}

export const toTenantView = (profile: TenantProfile): TenantView => ({
  id: profile.tenantId,
  shard: profile.shard,
  epoch: profile.epoch,
  group: profile.group,
  tier: profile.tier,
  status: profile.status,
  createdAt: profile.createdAt,
});

const exists = (tenantId: string) =>
  new Problem('conflict', `Tenant ${tenantId} already exists. Use \`headroom tokens rotate ${tenantId}\` for a new token.`);

const tenantNotFound = (tenantId: string) =>
  new Problem('not-found', `Tenant ${tenantId} does not exist. List tenants with \`headroom tenants list\`.`);

export function tenantAdmin({ store, clock, topology, defaultTier, usageKeys }: TenantAdminDeps) {
  function chooseShard(input: CreateTenantInput): string {
    if (input.shard === undefined) return rendezvousShard(input.id, topology);
    const shard = topology.find((candidate) => candidate.name === input.shard);
    if (!shard) {
      const known = topology.map((candidate) => candidate.name).join(', ');
      throw new Problem('validation-failed', `Shard ${input.shard} does not exist. Known shards: ${known}.`, {
        errors: [{ path: 'shard', message: 'unknown shard' }],
      });
    }
    if (shard.dedicatedTo !== undefined && shard.dedicatedTo !== input.id) {
      throw new Problem(
        'validation-failed',
        `Shard ${shard.name} is dedicated to tenant ${shard.dedicatedTo}. Pick a shared shard or omit --shard.`,
        {
          errors: [{ path: 'shard', message: 'dedicated to another tenant' }],
        },
      );
    }
    return shard.name;
  }

  return {
    async create(input: CreateTenantInput): Promise<{ tenant: TenantView; token: string }> {
      const token = newApiToken();
      const shard = chooseShard(input);
      const tier = input.tier ?? defaultTier;
      if (await store.getTenant(input.id)) throw exists(input.id);
      // The key exists before the profile that names it, so no tenant is ever left without one.
      const usageKey = await usageKeys.issue(input.id, tier);
      const profile: TenantProfile = {
        tenantId: input.id,
        shard,
        epoch: 1,
        group: input.group ?? input.id,
        tier,
        status: 'active',
        createdAt: clock.now().toISOString(),
        tokenHash: hashToken(token),
        usageKey,
      };
      if (!(await store.createTenant(profile))) throw exists(input.id);
      return { tenant: toTenantView(profile), token };
    },

    async show(tenantId: TenantId): Promise<TenantView> {
      const profile = await store.getTenant(tenantId);
      if (!profile) throw tenantNotFound(tenantId);
      return toTenantView(profile);
    },

    async list(limit: number, after?: string) {
      const page = await store.listTenants(limit, after);
      return { items: page.items.map(toTenantView), next: page.next };
    },

    async rotateToken(tenantId: TenantId): Promise<{ tenant: TenantView; token: string }> {
      const profile = await store.getTenant(tenantId);
      if (!profile) throw tenantNotFound(tenantId);
      const token = newApiToken();
      if (!(await store.replaceToken(tenantId, profile.tokenHash, hashToken(token), clock.now().toISOString()))) {
        throw new Problem('conflict', `The token of ${tenantId} changed while rotating. Run the rotation again.`);
      }
      return { tenant: toTenantView(profile), token };
    },

    async status() {
      const byShard = await store.countTenantsByShard();
      return {
        shards: topology.map((shard) => ({
          name: shard.name,
          dedicatedTo: shard.dedicatedTo ?? null,
          tenants: byShard[shard.name] ?? 0,
        })),
        tenants: Object.values(byShard).reduce((sum, count) => sum + count, 0),
      };
    },
  };
}

export type TenantAdmin = ReturnType<typeof tenantAdmin>;
