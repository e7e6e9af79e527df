import { OpenFeature } from '@openfeature/server-sdk';
import { describe, expect, it } from 'vitest';
import { MemoryFlagStore } from '../../../../lambdas/adapters/memory/memory-flag-store.js';
import { flagAdmin } from '../../../../lambdas/core/flags/flag-admin.js';
import { createFlagCache } from '../../../../lambdas/core/flags/flag-cache.js';
import { HeadroomFlagProvider } from '../../../../lambdas/core/flags/flag-provider.js';

function fixture(ttlSeconds = 15) {
  let now = Date.UTC(2026, 0, 1);
  const clock = { now: () => new Date(now) };
  const store = new MemoryFlagStore();
  let failing = false;
  let loads = 0;
  const stale: (number | undefined)[] = [];
  const cache = createFlagCache({
    load: async () => {
      loads++;
      if (failing) throw new Error('control table unreachable');
      return store.loadAll();
    },
    clock,
    ttlSeconds,
    onStale: (_error, age) => stale.push(age),
  });
  const admin = flagAdmin({ store, clock });
  const provider = new HeadroomFlagProvider(cache);
  const value = async (key: string) => (await provider.resolveBooleanEvaluation(key, false, { targetingKey: 'acme' })).value;
  return {
    admin,
    provider,
    value,
    advance: (seconds: number) => (now += seconds * 1000),
    fail: (on: boolean) => (failing = on),
    loads: () => loads,
    stale,
  };
}

const definition = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'on' };
const ops = { principal: 'test' };

describe('flag cache and provider', () => {
  it('sees a change within its TTL and never later', async () => {
    const f = fixture(15);
    await f.admin.set('new-inbox', definition, ops);
    expect(await f.value('new-inbox')).toBe(true);
    await f.admin.kill('new-inbox', { ...ops, reason: 'incident' });
    f.advance(14.9);
    expect(await f.value('new-inbox')).toBe(true);
    f.advance(0.1);
    expect(await f.value('new-inbox')).toBe(false);
  });

  it('loads all flags with one read per TTL however many evaluations there are', async () => {
    const f = fixture(15);
    await f.admin.set('a', definition, ops);
    await Promise.all(Array.from({ length: 100 }, () => f.value('a')));
    expect(f.loads()).toBe(1);
  });

  it('serves the last good copy when the store is unreachable, and reports staleness', async () => {
    const f = fixture(15);
    await f.admin.set('new-inbox', definition, ops);
    expect(await f.value('new-inbox')).toBe(true);
    f.fail(true);
    f.advance(20);
    expect(await f.value('new-inbox')).toBe(true);
    expect(f.stale).toEqual([20]);
    f.advance(1);
    await f.value('new-inbox');
    expect(f.stale).toHaveLength(1);
    f.fail(false);
    await f.admin.kill('new-inbox', { ...ops, reason: 'x' });
    f.advance(5);
    expect(await f.value('new-inbox')).toBe(false);
  });

  it('returns the code default with reason ERROR on a cold start without any copy', async () => {
    const f = fixture(15);
    f.fail(true);
    const details = await f.provider.resolveBooleanEvaluation('new-inbox', true, { targetingKey: 'acme' });
    expect(details).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' });
    expect(f.stale).toEqual([undefined]);
  });

  it('answers FLAG_NOT_FOUND with the default through the OpenFeature client', async () => {
    const f = fixture(15);
    await OpenFeature.setProviderAndWait(f.provider);
    const details = await OpenFeature.getClient().getBooleanDetails('no-such-flag', true, { targetingKey: 'acme' });
    expect(details).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
  });

  it('serves built-in levers before anyone stores them: off, without an error, and operable like any flag', async () => {
    const f = fixture(15);
    const details = await f.provider.resolveBooleanEvaluation('tenant.writes-paused', true, { targetingKey: 'acme' });
    expect(details).toMatchObject({ value: false, reason: 'STATIC' });
    expect(details.errorCode).toBeUndefined();
    expect((await f.admin.list()).map((flag) => [flag.key, flag.version])).toEqual([
      ['search.read-generation', 0],
      ['tenant.writes-paused', 0],
    ]);
    expect(await f.provider.resolveStringEvaluation('search.read-generation', 'none', { targetingKey: 'acme' })).toMatchObject({
      value: 'g1',
      reason: 'STATIC',
    });
    expect(await f.admin.allow('tenant.writes-paused', ['acme'], ops)).toMatchObject({ version: 1, pinned: 1 });
    f.advance(15);
    expect(await f.value('tenant.writes-paused')).toBe(true);
    expect((await f.admin.history('tenant.writes-paused', 10)).map((entry) => [entry.action, entry.before])).toEqual([['allow', null]]);
  });

  it('refuses a TTL that would break the 60 s propagation promise', () => {
    expect(() =>
      createFlagCache({ load: async () => [], clock: { now: () => new Date() }, ttlSeconds: 45, onStale: () => undefined }),
    ).toThrow(/ttl must be 1-30 s, got 45/);
  });
});
