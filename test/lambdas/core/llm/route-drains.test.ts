// Operator drains: a drain reaches the instance that made it at once and every other instance within the cache
// period, names only configured routes (and lists them when refusing another), and an unreachable store never
// silently undrains a route.
import { describe, expect, it } from 'vitest';
import { MemoryRouteDrainStore } from '../../../../lambdas/adapters/memory/memory-route-drain-store.js';
import { createRouteDrains } from '../../../../lambdas/core/llm/route-drains.js';
import { DEFAULT_LLM_SETTINGS } from '../../../../lambdas/core/llm/llm-settings.js';
import { Problem } from '../../../../lambdas/core/problems.js';

describe('route drains', () => {
  it('applies a drain here at once and on other instances within the cache period', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const clock = { now: () => new Date(now) };
    const store = new MemoryRouteDrainStore();
    const here = createRouteDrains(store, DEFAULT_LLM_SETTINGS, clock, 15);
    const elsewhere = createRouteDrains(store, DEFAULT_LLM_SETTINGS, clock, 15);
    expect([...(await elsewhere.current())]).toEqual([]);
    await here.set('haiku-use1', true, 'ops@example.com', 'vendor incident');
    expect([...(await here.current())]).toEqual(['haiku-use1']);
    expect([...(await elsewhere.current())]).toEqual([]);
    now += 15_000;
    expect([...(await elsewhere.current())]).toEqual(['haiku-use1']);
    await here.set('haiku-use1', false, 'ops@example.com');
    expect([...(await here.current())]).toEqual([]);
  });

  it('refuses a route that is not configured, naming the routes that are', async () => {
    const drains = createRouteDrains(new MemoryRouteDrainStore(), DEFAULT_LLM_SETTINGS, { now: () => new Date() }, 15);
    const refusal = await drains.set('nope', true, 'ops').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(Problem);
    expect(refusal).toMatchObject({ status: 404 });
    expect((refusal as Problem).detail).toContain(`the routes are ${Object.keys(DEFAULT_LLM_SETTINGS.routes).join(', ')}`);
  });

  it('keeps the last known drains when the store cannot be read', async () => {
    let now = 0;
    const store = new MemoryRouteDrainStore();
    await store.put({ route: 'haiku-usw2', drained: true, at: '2026-01-01T00:00:00.000Z', by: 'ops' });
    let down = false;
    const flaky = { list: () => (down ? Promise.reject(new Error('table unreachable')) : store.list()), put: store.put.bind(store) };
    const drains = createRouteDrains(flaky, DEFAULT_LLM_SETTINGS, { now: () => new Date(now) }, 15);
    expect([...(await drains.current())]).toEqual(['haiku-usw2']);
    down = true;
    now += 60_000;
    expect([...(await drains.current())]).toEqual(['haiku-usw2']);
  });
});
