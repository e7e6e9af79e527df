// An in-process control store (tenants and hashed tokens) with the DynamoDB adapter's semantics, for the
// handler-overhead benchmark and core unit tests.
import type { ControlStore, TenantPage } from '../../core/ports.js';
import type { ShardName, TenantId, TenantProfile } from '../../core/tenancy/tenancy.js';

export class MemoryControlStore implements ControlStore {
  private readonly tenants = new Map<TenantId, TenantProfile>();
  private readonly tokens = new Map<string, TenantId>();

  async getTenant(tenantId: TenantId): Promise<TenantProfile | undefined> {
    return this.tenants.get(tenantId);
  }

  async createTenant(profile: TenantProfile): Promise<boolean> {
    if (this.tenants.has(profile.tenantId)) return false;
    this.tenants.set(profile.tenantId, profile);
    this.tokens.set(profile.tokenHash, profile.tenantId);
    return true;
  }

  async listTenants(limit: number, after?: string): Promise<TenantPage> {
    const sorted = [...this.tenants.values()]
      .filter((profile) => after === undefined || profile.tenantId > after)
      .sort((a, b) => a.tenantId.localeCompare(b.tenantId));
    const items = sorted.slice(0, limit);
    return { items, next: sorted.length > limit ? items.at(-1)?.tenantId : undefined };
  }

  async countTenantsByShard(): Promise<Record<ShardName, number>> {
    const counts: Record<ShardName, number> = {};
    for (const profile of this.tenants.values()) counts[profile.shard] = (counts[profile.shard] ?? 0) + 1;
    return counts;
  }

  async findTokenOwner(tokenHash: string): Promise<TenantId | undefined> {
    return this.tokens.get(tokenHash);
  }

  async replaceToken(tenantId: TenantId, oldHash: string, newHash: string): Promise<boolean> {
    const profile = this.tenants.get(tenantId);
    if (!profile || profile.tokenHash !== oldHash) return false;
    this.tokens.delete(oldHash);
    this.tokens.set(newHash, tenantId);
    this.tenants.set(tenantId, { ...profile, tokenHash: newHash });
    return true;
  }
}
