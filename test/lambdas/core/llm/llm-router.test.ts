// The routing layer on scripted providers and a manual clock: failover on every kind of failure, breakers that
// stop calling a dead route and probe it back, latency-based routing away from a slow route, a retry budget that
// caps load amplification, lane isolation, operator drains, and a deadline that holds even against a provider
// that never answers.
import { describe, expect, it } from 'vitest';
import { ProviderError, type Completion, type CompletionRequest, type LlmProvider } from '../../../../lambdas/core/llm/llm-provider.js';
import { createLlmRouter, RoutingFailure, type LlmRouterDeps } from '../../../../lambdas/core/llm/llm-router.js';
import { DEFAULT_LLM_SETTINGS, type LlmSettings } from '../../../../lambdas/core/llm/llm-settings.js';
import type { Clock } from '../../../../lambdas/core/ports.js';
import { llmLanes } from '../../../../local/llm-lanes.js';

/** mulberry32: a seeded uniform source, so weighted draws are the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class ManualClock implements Clock {
  constructor(public ms = Date.parse('2026-01-01T00:00:00Z')) {}
  now = () => new Date(this.ms);
  advance(ms: number) {
    this.ms += ms;
  }
}

type Behaviour = (request: CompletionRequest) => Promise<Completion>;

/** A provider whose behaviour the test sets; it advances the manual clock by its "latency". */
class ScriptedProvider implements LlmProvider {
  calls = 0;
  constructor(
    private readonly clock: ManualClock,
    public behaviour: Behaviour,
  ) {}
  complete(request: CompletionRequest) {
    this.calls++;
    return this.behaviour(request);
  }
}

const answer =
  (clock: ManualClock, latencyMs: number, text = 'A reply.', stopReason: Completion['stopReason'] = 'end'): Behaviour =>
  async (request) => {
    clock.advance(latencyMs);
    request.onFirstToken?.();
    return { text, inputTokens: 100, outputTokens: 20, stopReason };
  };
const fail =
  (clock: ManualClock, kind: ProviderError['kind'], latencyMs = 5): Behaviour =>
  async () => {
    clock.advance(latencyMs);
    throw new ProviderError(kind, `scripted ${kind}`);
  };

const LIMITS = { maxConcurrency: 8, tokensPerMinute: 10_000_000 };
const EVEN = { primary: 1, secondary: 1 };
const settings = (overrides: Partial<LlmSettings> = {}): LlmSettings => ({
  ...DEFAULT_LLM_SETTINGS,
  routes: {
    primary: { provider: 'openai-compatible', model: 'p', baseUrl: 'http://primary.invalid/v1', ...LIMITS },
    secondary: { provider: 'openai-compatible', model: 's', baseUrl: 'http://secondary.invalid/v1', ...LIMITS },
  },
  lanes: llmLanes({ interactive: EVEN, backgroundShare: 0.25 }),
  ...overrides,
});

function setup(overrides: Partial<LlmSettings> = {}, extra: Partial<LlmRouterDeps> = {}) {
  const clock = new ManualClock();
  const primary = new ScriptedProvider(clock, answer(clock, 50));
  const secondary = new ScriptedProvider(clock, answer(clock, 50));
  const providers: Record<string, ScriptedProvider> = { primary, secondary };
  const events: string[] = [];
  const router = createLlmRouter({
    settings: settings(overrides),
    clock,
    random: seeded(7),
    provider: (route) => providers[route] as ScriptedProvider,
    observer: {
      attempt: () => undefined,
      served: () => undefined,
      failed: () => undefined,
      breaker: (route, from, to) => events.push(`${route}:${from}->${to}`),
    },
    ...extra,
  });
  return { clock, primary, secondary, router, events };
}

/** The primary is preferred by weight, so only its failures can move traffic (not latency alone). */
const PREFER_PRIMARY: Partial<LlmSettings> = {
  lanes: llmLanes({ interactive: { primary: 1000, secondary: 0.001 }, background: EVEN, backgroundShare: 0.25 }),
};

const ask = { lane: 'interactive' as const, messages: [{ role: 'user' as const, content: 'hello' }] };

describe('LLM router', () => {
  it.each(['unavailable', 'throttled', 'timeout', 'invalid-output', 'rejected'] as const)(
    'fails over to the next route when the first one answers %s',
    async (kind) => {
      const { router, primary, secondary } = setup(PREFER_PRIMARY);
      primary.behaviour = fail(primary['clock'], kind);
      const { routing, completion } = await router.complete(ask);
      expect(completion.text).toBe('A reply.');
      expect(routing).toMatchObject({ route: 'secondary', reason: 'failover' });
      expect(routing.attempts.map((a) => `${a.route}:${a.outcome}`)).toEqual([`primary:${kind}`, 'secondary:ok']);
      expect(secondary.calls).toBe(1);
    },
  );

  it.each([
    ['empty', answer(new ManualClock(), 0, '   ')],
    ['truncated', answer(new ManualClock(), 0, 'Dear customer, we', 'length')],
    ['over-long', answer(new ManualClock(), 0, 'x'.repeat(DEFAULT_LLM_SETTINGS.maxOutputTokens * 9))],
    ['not text', answer(new ManualClock(), 0, 'ok\u0000\u0001\u0002')],
  ])('treats %s output as a failure and serves the next route instead', async (_name, behaviour) => {
    const { router, primary } = setup(PREFER_PRIMARY);
    primary.behaviour = behaviour;
    const { routing } = await router.complete(ask);
    expect(routing.attempts[0]).toMatchObject({ route: 'primary', outcome: 'invalid-output' });
    expect(routing.route).toBe('secondary');
  });

  it('opens the breaker of a failing route, stops calling it, probes it after the cooldown and closes on success', async () => {
    const { router, primary, secondary, clock, events } = setup(PREFER_PRIMARY);
    primary.behaviour = fail(clock, 'unavailable');
    // Each request moves the manual clock ~55 ms, so these 30 requests stay within the 2 s cooldown.
    for (let i = 0; i < 10; i++) expect((await router.complete(ask)).routing.route).toBe('secondary');
    const callsWhenOpen = primary.calls;
    expect(callsWhenOpen).toBeLessThanOrEqual(4);
    expect(events).toContain('primary:closed->open');
    for (let i = 0; i < 20; i++) await router.complete(ask);
    expect(primary.calls).toBe(callsWhenOpen);

    primary.behaviour = answer(clock, 20);
    clock.advance(2_100);
    let probed = false;
    for (let i = 0; i < 40 && !probed; i++) probed = (await router.complete(ask)).routing.reason === 'probe';
    expect(probed).toBe(true);
    expect(events).toEqual(['primary:closed->open', 'primary:open->half-open', 'primary:half-open->closed']);
    expect(secondary.calls).toBeGreaterThan(0);
  });

  it('doubles the cooldown when a probe fails, so a still-dead route is tried less and less often', async () => {
    const { router, primary, clock } = setup(PREFER_PRIMARY);
    primary.behaviour = fail(clock, 'unavailable');
    for (let i = 0; i < 10; i++) await router.complete(ask);
    clock.advance(2_100);
    for (let i = 0; i < 10; i++) await router.complete(ask);
    const status = (await router.status()).find((route) => route.route === 'primary');
    expect(status?.breaker).toBe('open');
    expect(Date.parse(status?.reopensAt as string) - clock.ms).toBeGreaterThan(3_000);
  });

  it('moves traffic away from a route whose latency spikes tenfold, and back once it recovers', async () => {
    const { router, primary, secondary, clock } = setup({
      firstTokenTimeoutMs: 60_000,
      deadlineMs: { interactive: 25_000, background: 30_000 },
    });
    for (let i = 0; i < 50; i++) await router.complete(ask);
    const before = primary.calls / (primary.calls + secondary.calls);
    expect(before).toBeGreaterThan(0.3);

    primary.behaviour = answer(clock, 500);
    primary.calls = 0;
    secondary.calls = 0;
    for (let i = 0; i < 100; i++) await router.complete(ask);
    expect(primary.calls).toBeLessThanOrEqual(5);

    primary.behaviour = answer(clock, 50);
    clock.advance(120_000);
    primary.calls = 0;
    secondary.calls = 0;
    for (let i = 0; i < 100; i++) await router.complete(ask);
    expect(primary.calls).toBeGreaterThan(20);
  });

  it('caps retries with the budget: with every route failing, calls stay near (1 + ratio) per request', async () => {
    const { router, primary, secondary, clock } = setup(
      {},
      { breaker: { window: 1000, minFailures: 1000, failureRate: 1, cooldownMs: 1, maxCooldownMs: 1, probes: 1 }, minRetriesPerSecond: 0 },
    );
    primary.behaviour = fail(clock, 'unavailable', 1);
    secondary.behaviour = fail(clock, 'unavailable', 1);
    const requests = 500;
    for (let i = 0; i < requests; i++) await expect(router.complete(ask)).rejects.toBeInstanceOf(RoutingFailure);
    const calls = primary.calls + secondary.calls;
    // 20 saved-up tokens at the start, then 0.2 per request.
    expect(calls).toBeLessThanOrEqual(requests * 1.2 + 20 + 1);
    expect(calls).toBeGreaterThanOrEqual(requests);
  });

  it('keeps background work within its share of a route, so interactive requests still get through', async () => {
    const { router, primary, secondary, clock } = setup({ lanes: llmLanes({ interactive: { primary: 1 }, backgroundShare: 0.25 }) });
    void secondary;
    const release: (() => void)[] = [];
    primary.behaviour = (request) =>
      new Promise((resolve) => {
        release.push(() => {
          request.onFirstToken?.();
          resolve({ text: 'ok', inputTokens: 1, outputTokens: 1, stopReason: 'end' });
        });
      });
    const background = Array.from({ length: 10 }, () =>
      router.complete({ ...ask, lane: 'background' }).then(
        () => 'served',
        (e: RoutingFailure) => (e.shed ? 'shed' : 'failed'),
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    // maxConcurrency 8 × share 0.25 = 2 background requests in flight; the other 8 are shed at once.
    expect(primary.calls).toBe(2);
    const interactive = Array.from({ length: 6 }, () => router.complete(ask));
    await new Promise((resolve) => setImmediate(resolve));
    expect(primary.calls).toBe(8);
    await expect(router.complete(ask)).rejects.toMatchObject({ shed: true });
    while (release.length > 0) release.shift()?.();
    await Promise.all(interactive);
    expect((await Promise.all(background)).filter((outcome) => outcome === 'shed')).toHaveLength(8);
    void clock;
  });

  it('sends nothing to a route an operator drained', async () => {
    const { router, primary, secondary } = setup({}, { drained: async () => new Set(['primary']) });
    for (let i = 0; i < 20; i++) expect((await router.complete(ask)).routing.route).toBe('secondary');
    expect(primary.calls).toBe(0);
    expect(secondary.calls).toBe(20);
    expect((await router.status()).find((route) => route.route === 'primary')?.drained).toBe(true);
  });

  it('ends by the deadline even when every provider hangs and ignores the abort signal', async () => {
    const hang: Behaviour = () => new Promise(() => undefined);
    const router = createLlmRouter({
      settings: settings({ deadlineMs: { interactive: 300, background: 300 }, firstTokenTimeoutMs: 100 }),
      clock: { now: () => new Date() },
      random: seeded(1),
      provider: () => ({ complete: hang }),
    });
    const started = Date.now();
    const failure = await router.complete(ask).catch((error: unknown) => error);
    const elapsed = Date.now() - started;
    expect(failure).toBeInstanceOf(RoutingFailure);
    expect((failure as RoutingFailure).attempts.map((a) => a.outcome)).toEqual(['timeout', 'timeout']);
    expect((failure as RoutingFailure).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(elapsed).toBeLessThan(400);
  });

  it('explains every decision: route, reason, attempts and timings in the routing block and the status view', async () => {
    const { router, primary, clock } = setup(PREFER_PRIMARY);
    primary.behaviour = fail(clock, 'throttled');
    const { routing } = await router.complete(ask);
    expect(routing).toMatchObject({
      lane: 'interactive',
      route: 'secondary',
      provider: 'openai-compatible',
      model: 's',
      reason: 'failover',
    });
    expect(routing.attempts).toEqual([
      { route: 'primary', outcome: 'throttled', ms: 5 },
      { route: 'secondary', outcome: 'ok', ms: 50 },
    ]);
    expect(routing.latencyMs).toBe(55);
    const status = await router.status();
    expect(status.find((route) => route.route === 'primary')).toMatchObject({
      breaker: 'closed',
      failures: 1,
      served: 0,
      recentErrors: [{ kind: 'throttled', message: 'scripted throttled' }],
    });
    expect(status.find((route) => route.route === 'secondary')).toMatchObject({ served: 1, ewmaLatencyMs: 50, samples: 1 });
  });
});
