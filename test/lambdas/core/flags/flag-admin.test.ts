// What a deny means is core's to decide: it always pins the definition's off variant, so naming one is refused.
import { describe, expect, it } from 'vitest';
import { MemoryFlagStore } from '../../../../lambdas/adapters/memory/memory-flag-store.js';
import { flagAdmin } from '../../../../lambdas/core/flags/flag-admin.js';

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
