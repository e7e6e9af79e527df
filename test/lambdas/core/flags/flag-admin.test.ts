// The flag admin's rules are core's to decide: a deny always pins the definition's off variant (naming one is
// refused), and an operator's evaluation names a tenant that exists.
import { describe, expect, it } from 'vitest';
import { MemoryFlagStore } from '../../../../lambdas/adapters/memory/memory-flag-store.js';
import { evaluateForTenant, flagAdmin } from '../../../../lambdas/core/flags/flag-admin.js';
import type { TenantId, TenantProfile } from '../../../../lambdas/core/tenancy/tenancy.js';

const definition = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'on' };
const ops = { principal: 'test' };

function fixture() {
  const store = new MemoryFlagStore();
  return { store, admin: flagAdmin({ store, clock: { now: () => new Date(Date.UTC(2026, 0, 1)) } }) };
}

describe('flag admin: deny', () => {
  it('pins denied tenants to the off variant', async () => {
    const { admin } = fixture();
    await admin.set('new-inbox', definition, ops);
    await admin.deny('new-inbox', ['acme'], ops);
    expect((await admin.get('new-inbox')).overlay.pins).toEqual({ acme: 'off' });
  });

  it('refuses a named variant and changes nothing', async () => {
    const { admin } = fixture();
    await admin.set('new-inbox', definition, ops);
    await expect(admin.deny('new-inbox', ['acme'], { ...ops, variant: 'on' })).rejects.toMatchObject({
      slug: 'validation-failed',
      status: 400,
      message: 'deny always pins the "off" variant; do not name one.',
    });
    expect(await admin.get('new-inbox')).toMatchObject({ version: 1, overlay: { pins: {} } });
  });
});

describe('flag admin: evaluation for a named tenant', () => {
  const acme = {
    tenantId: 'acme',
    shard: 'shard-0',
    epoch: 1,
    group: 'acme',
    tier: 'standard',
    status: 'active',
  } as unknown as TenantProfile;
  const tenants = { getTenant: async (id: TenantId) => (id === 'acme' ? acme : undefined) };

  it('evaluates the flag for a tenant that exists', async () => {
    const { admin } = fixture();
    await admin.set('new-inbox', definition, ops);
    await admin.deny('new-inbox', ['acme'], ops);
    expect(await evaluateForTenant(admin, tenants, 'new-inbox', 'acme' as TenantId)).toMatchObject({ value: false, variant: 'off' });
  });

  it('answers 404 for a tenant that does not exist, saying how to list tenants', async () => {
    const { admin } = fixture();
    await admin.set('new-inbox', definition, ops);
    await expect(evaluateForTenant(admin, tenants, 'new-inbox', 'acmee' as TenantId)).rejects.toMatchObject({
      slug: 'not-found',
      status: 404,
      message: 'Tenant acmee does not exist. List tenants with `headroom tenants list`.',
    });
  });
});
