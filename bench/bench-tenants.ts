// The tenant profile every benchmark creates its tenants with: active, epoch 1, its own group and usage key, a
// token hash no request will ever present (benchmarks call the stores, not the authorizer).
import { v7 as uuidv7 } from 'uuid';
import type { ShardName, TenantId, TenantProfile } from '../lambdas/core/tenancy/tenancy.js';
import type { Tier } from '../lambdas/core/tenancy/tiers.js';

export const benchTenantProfile = (tenantId: string, shard: ShardName, tier: Tier = 'standard'): TenantProfile => ({
  tenantId: tenantId as TenantId,
  shard,
  epoch: 1,
  group: tenantId,
  tier,
  status: 'active',
  createdAt: new Date().toISOString(),
  tokenHash: `bench-${tenantId}-${uuidv7()}`,
  usageKey: tenantId,
});
