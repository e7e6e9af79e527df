// A tenant id enters the runtime only from the authorizer, through the tenant context; everything that touches
// data is built from a TenantContext, so no code path can take a tenant id from a caller's request.
import * as z from 'zod';
import type { Tier } from './tiers.js';

export type TenantId = string & { readonly __brand: 'TenantId' };
export type ShardName = string;

/** Lowercase letters, digits and inner dashes: safe inside keys (`T#<id>#`), URLs, logs and metric metadata. */
export const tenantIdSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'tenant ids are 1-63 lowercase letters, digits or inner dashes')
  .transform((id) => id as TenantId);

export const groupSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'groups are 1-63 lowercase letters, digits or inner dashes');

export type TenantStatus = 'active' | 'suspended';

/** The tenant directory entry: where a tenant lives and how it is treated. */
export interface TenantProfile {
  readonly tenantId: TenantId;
  readonly shard: ShardName;
  /** Bumped every time the tenant's placement changes, so stale routes can be refused. */
  readonly epoch: number;
  /** The fairness group for background work; defaults to the tenant id. */
  readonly group: string;
  readonly tier: Tier;
  readonly status: TenantStatus;
  readonly createdAt: string;
  /** sha256 of the tenant's current API token; the token itself is never stored. */
  readonly tokenHash: string;
  /**
   * The value of the tenant's own API Gateway API key, which the authorizer returns as `usageIdentifierKey` so
   * the tier's usage plan throttles and meters each tenant separately. It identifies, it does not authenticate.
   */
  readonly usageKey: string;
}

/** What a request knows about its caller, established once by the tenant context middleware. */
export interface TenantContext {
  readonly tenantId: TenantId;
  readonly shard: ShardName;
  readonly epoch: number;
  readonly group: string;
  readonly tier: Tier;
}

export const toTenantContext = (profile: TenantProfile): TenantContext => ({
  tenantId: profile.tenantId,
  shard: profile.shard,
  epoch: profile.epoch,
  group: profile.group,
  tier: profile.tier,
});
