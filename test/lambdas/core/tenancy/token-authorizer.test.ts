import { describe, expect, it } from 'vitest';
import { MemoryControlStore } from '../../../../lambdas/adapters/memory/memory-control-store.js';
import { authenticate, stageWildcard } from '../../../../lambdas/core/tenancy/token-authorizer.js';
import { tenantAdmin } from '../../../../lambdas/core/tenancy/tenant-admin.js';
import { localUsageKeys } from '../../../../lambdas/adapters/local/local-usage-keys.js';
import { createTenantDirectory } from '../../../../lambdas/core/tenancy/tenant-directory.js';
import type { TenantId } from '../../../../lambdas/core/tenancy/tenancy.js';

const topology = [
  { name: 'shard-0', table: 't0' },
  { name: 'shard-1', table: 't1', dedicatedTo: 'bigco' },
];

function fixture() {
  const store = new MemoryControlStore();
  const clock = { now: () => new Date('2026-01-01T00:00:00.000Z') };
  const directory = createTenantDirectory({ store, clock, ttlSeconds: 300 });
  const admin = tenantAdmin({ store, clock, topology, defaultTier: 'standard', usageKeys: localUsageKeys });
  return { store, directory, admin };
}

describe('token authorizer', () => {
  it('accepts a current token and refuses malformed, unknown and rotated ones even with a warm directory cache', async () => {
    const { store, directory, admin } = fixture();
    const { token: old } = await admin.create({ id: 'acme' as TenantId });
    expect((await authenticate(`Bearer ${old}`, store, directory))?.tenantId).toBe('acme');
    const { token: fresh } = await admin.rotateToken('acme' as TenantId);
    expect(await authenticate(`Bearer ${old}`, store, directory)).toBeUndefined();
    expect((await authenticate(`Bearer ${fresh}`, store, directory))?.tenantId).toBe('acme');
    for (const header of [undefined, '', 'Bearer', `Basic ${fresh}`, `Bearer ${fresh} extra`, 'Bearer hr_short']) {
      expect(await authenticate(header, store, directory)).toBeUndefined();
    }
  });

  it('allows every method of the stage, so a cached decision serves every tenant route', () => {
    expect(stageWildcard('arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/GET/v1/conversations')).toBe(
      'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/*/*',
    );
  });
});

describe('tenant admin', () => {
  it('places new tenants only on shared shards and honours a pin to a dedicated shard by its owner', async () => {
    const { admin } = fixture();
    for (let i = 0; i < 50; i++) expect((await admin.create({ id: `t${i}` as TenantId })).tenant.shard).toBe('shard-0');
    expect((await admin.create({ id: 'bigco' as TenantId, shard: 'shard-1' })).tenant.shard).toBe('shard-1');
  });

  it('refuses a shard dedicated to someone else, an unknown shard and a duplicate id', async () => {
    const { admin } = fixture();
    await expect(admin.create({ id: 'smallco' as TenantId, shard: 'shard-1' })).rejects.toThrow(/dedicated to tenant bigco/);
    await expect(admin.create({ id: 'smallco' as TenantId, shard: 'shard-7' })).rejects.toThrow(/does not exist/);
    await admin.create({ id: 'acme' as TenantId });
    await expect(admin.create({ id: 'acme' as TenantId })).rejects.toThrow(/already exists/);
  });

  it('defaults the group to the tenant id and the tier to the configured default', async () => {
    const { admin } = fixture();
    expect((await admin.create({ id: 'acme' as TenantId })).tenant).toMatchObject({ group: 'acme', tier: 'standard', epoch: 1 });
    expect((await admin.create({ id: 'beta' as TenantId, group: 'g1', tier: 'free' })).tenant).toMatchObject({ group: 'g1', tier: 'free' });
  });
});
