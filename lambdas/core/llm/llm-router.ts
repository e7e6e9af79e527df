// The LLM routing layer. A request is served by the fastest healthy route of its lane (weights split traffic
// among equals), fails over to the next route on errors, timeouts, 429s and unusable output, and always ends
// by its lane's deadline: with a completion or a RoutingFailure, never a hang. Breakers take dead routes out,
// the retry budget stops failover from multiplying load, and the background lane can only use its own share of
// each route. Pure: providers, clock and randomness are arguments, every decision is reported to an observer.
import { createCircuitBreaker, DEFAULT_BREAKER, type BreakerOptions, type BreakerState, type CircuitBreaker } from './circuit-breaker.js';
import { createLatencyTracker, DEFAULT_LATENCY, type LatencyTracker, type LatencyTrackerOptions } from './latency-tracker.js';
import {
  asProviderError,
  ProviderError,
  type ChatMessage,
  type Completion,
  type LlmProvider,
  type ProviderErrorKind,
} from './llm-provider.js';
import type { Lane, LlmRoute, LlmSettings, RouteId } from './llm-settings.js';
import type { Clock } from '../ports.js';
import { createRetryBudget, type RetryBudget } from './retry-budget.js';
import { createRouteCapacity, type RouteCapacity } from './route-capacity.js';

export interface RoutedRequest {
  readonly lane: Lane;
  readonly messages: readonly ChatMessage[];
  readonly temperature?: number;
}

/** Why a route was chosen: the first pick by latency and weight, a failover after a failed attempt, or a probe of a half-open breaker. */
export type RoutingReason = 'fastest' | 'only-route' | 'failover' | 'probe';

/** What happened on one route for one request; skips are recorded too, so a refusal can be explained. */
export interface AttemptRecord {
  readonly route: RouteId;
  readonly outcome: 'ok' | ProviderErrorKind | 'breaker-open' | 'no-capacity' | 'retry-budget' | 'deadline';
  readonly ms: number;
}

export interface RoutingDecision {
  readonly lane: Lane;
  readonly route: RouteId;
  readonly provider: LlmRoute['provider'];
  readonly model: string;
  readonly reason: RoutingReason;
  readonly attempts: readonly AttemptRecord[];
  readonly latencyMs: number;
  readonly firstTokenMs: number;
}

export interface RoutedCompletion {
  readonly completion: Completion;
  readonly routing: RoutingDecision;
}

/**
 * No route produced a completion. `shed` is true when nothing was even attempted (lane capacity, open breakers,
 * drained routes): the request was refused to protect capacity, not failed by a provider.
 */
export class RoutingFailure extends Error {
  override readonly name = 'RoutingFailure';

  constructor(
    readonly lane: Lane,
    readonly shed: boolean,
    readonly attempts: readonly AttemptRecord[],
    readonly retryAfterSeconds: number,
  ) {
    super(
      `no ${lane} route produced a completion (${attempts.map((a) => `${a.route}: ${a.outcome}`).join(', ') || 'no routes available'})`,
    );
  }
}

export interface RoutingObserver {
  attempt(route: RouteId, lane: Lane, outcome: AttemptRecord['outcome'], ms: number, firstTokenMs?: number): void;
  served(decision: RoutingDecision): void;
  failed(failure: RoutingFailure): void;
  breaker(route: RouteId, from: BreakerState, to: BreakerState): void;
}

export interface RouteStatus {
  readonly route: RouteId;
  readonly provider: LlmRoute['provider'];
  readonly model: string;
  readonly region: string | null;
  readonly lanes: readonly Lane[];
  readonly drained: boolean;
  readonly breaker: BreakerState;
  readonly reopensAt: string | null;
  readonly ewmaLatencyMs: number;
  readonly ewmaFirstTokenMs: number;
  readonly samples: number;
  readonly inFlight: Readonly<Record<Lane, number>>;
  readonly tokensAvailable: Readonly<Record<Lane, number>>;
  readonly served: number;
  readonly failures: number;
  readonly recentErrors: readonly { readonly at: string; readonly kind: string; readonly message: string }[];
}

export interface LlmRouter {
  complete(request: RoutedRequest): Promise<RoutedCompletion>;
  /** This instance's view of every route: state, latency estimates, breaker, recent errors. */
  status(): Promise<RouteStatus[]>;
  /** Retry tokens left (for the benchmark and the status view). */
  retryBalance(): number;
}

export interface LlmRouterDeps {
  readonly settings: LlmSettings;
  /** The provider behind a route; called once per route, on its first use. */
  readonly provider: (route: RouteId, config: LlmRoute) => LlmProvider;
  readonly clock: Clock;
  /** Uniform in [0, 1): spreads traffic by weight; a seeded source makes tests deterministic. */
  readonly random: () => number;
  readonly observer?: RoutingObserver;
  /** Routes an operator has drained (cached by the caller); drained routes get no traffic. */
  readonly drained?: () => Promise<ReadonlySet<RouteId>>;
  readonly breaker?: BreakerOptions;
  readonly latency?: LatencyTrackerOptions;
  /** Retries allowed per second even with no traffic to earn them. */
  readonly minRetriesPerSecond?: number;
}

interface RouteState {
  readonly id: RouteId;
  readonly config: LlmRoute;
  readonly breaker: CircuitBreaker;
  readonly latency: LatencyTracker;
  readonly capacity: RouteCapacity;
  provider?: LlmProvider;
  served: number;
  failures: number;
  recentErrors: { at: string; kind: string; message: string }[];
}

const RECENT_ERRORS = 5;
/** Characters per token, roughly, for reserving tokens before the provider says how many were used. */
const CHARS_PER_TOKEN = 4;

export function createLlmRouter(deps: LlmRouterDeps): LlmRouter {
  const { settings, clock, random, observer } = deps;
  const nowMs = () => clock.now().getTime();
  const routes = new Map<RouteId, RouteState>(
    Object.entries(settings.routes).map(([id, config]) => [
      id,
      {
        id,
        config,
        breaker: createCircuitBreaker(deps.breaker ?? DEFAULT_BREAKER, (from, to) => observer?.breaker(id, from, to)),
        latency: createLatencyTracker(deps.latency ?? DEFAULT_LATENCY),
        capacity: createRouteCapacity(config, settings.lanes.background.share),
        served: 0,
        failures: 0,
        recentErrors: [],
      },
    ]),
  );
  const budget: RetryBudget = createRetryBudget({
    ratio: settings.retryRatio,
    minPerSecond: deps.minRetriesPerSecond ?? 5,
    maxBalance: 20,
  });

  /** Candidates in the order they will be tried: a weighted draw favouring low latency, then the rest the same way. */
  function order(lane: Lane, drained: ReadonlySet<RouteId>, at: number): RouteState[] {
    const pool = settings.lanes[lane].routes
      .filter(({ route }) => !drained.has(route))
      .map(({ route, weight }) => {
        const state = routes.get(route) as RouteState;
        const estimate = state.latency.estimate(at);
        const load = state.capacity.snapshot(at).inFlight;
        const busy = (load.interactive + load.background) / state.config.maxConcurrency;
        // Cube of latency: a route twice as slow gets an eighth of the traffic, ten times as slow a thousandth (but
        // never none, so its estimate keeps being refreshed and it wins traffic back when it recovers).
        const cost = Math.max(1, (estimate.latencyMs + estimate.firstTokenMs) / 2) * (1 + busy);
        return { state, score: weight / cost ** 3 };
      });
    const ordered: RouteState[] = [];
    while (pool.length > 0) {
      const total = pool.reduce((sum, entry) => sum + entry.score, 0);
      let pick = random() * total;
      let index = pool.findIndex((entry) => (pick -= entry.score) < 0);
      if (index < 0) index = pool.length - 1;
      ordered.push((pool.splice(index, 1)[0] as { state: RouteState }).state);
    }
    return ordered;
  }

  function rememberError(state: RouteState, kind: string, message: string) {
    state.failures++;
    state.recentErrors = [...state.recentErrors.slice(-(RECENT_ERRORS - 1)), { at: clock.now().toISOString(), kind, message }];
  }

  /** Rejects output the caller cannot use, so the next route gets a chance instead of the customer getting junk. */
  function check(completion: Completion): Completion {
    const text = completion.text.trim();
    if (completion.stopReason === 'length') throw new ProviderError('invalid-output', 'the completion was cut off at the token limit');
    if (text.length === 0) throw new ProviderError('invalid-output', 'the completion was empty');
    if (text.length > settings.maxOutputTokens * CHARS_PER_TOKEN * 2) {
      throw new ProviderError(
        'invalid-output',
        `the completion is ${text.length} characters, far over the ${settings.maxOutputTokens}-token limit`,
      );
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) throw new ProviderError('invalid-output', 'the completion is not text');
    return { ...completion, text };
  }

  async function attempt(state: RouteState, request: RoutedRequest, deadline: number) {
    state.provider ??= deps.provider(state.id, state.config);
    const started = nowMs();
    let firstTokenAt: number | undefined;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(), Math.max(0, ms));
    };
    arm(Math.min(settings.firstTokenTimeoutMs, deadline - started));
    // A provider that ignores the abort signal still loses the race: the deadline holds whatever the provider does.
    const aborted = new Promise<never>((_, reject) =>
      controller.signal.addEventListener('abort', () => reject(new ProviderError('timeout', 'no answer before the deadline')), {
        once: true,
      }),
    );
    try {
      const completion = await Promise.race([
        state.provider.complete({
          model: state.config.model,
          messages: request.messages,
          maxOutputTokens: settings.maxOutputTokens,
          temperature: request.temperature ?? 0.3,
          signal: controller.signal,
          onFirstToken: () => {
            if (firstTokenAt !== undefined) return;
            firstTokenAt = nowMs();
            arm(deadline - firstTokenAt);
          },
        }),
        aborted,
      ]);
      const finished = nowMs();
      return { completion: check(completion), ms: finished - started, firstTokenMs: (firstTokenAt ?? finished) - started };
    } catch (error) {
      throw Object.assign(asProviderError(error, controller.signal), { elapsedMs: nowMs() - started });
    } finally {
      clearTimeout(timer);
      aborted.catch(() => undefined);
    }
  }

  return {
    async complete(request) {
      const { lane } = request;
      const started = nowMs();
      const deadline = started + settings.deadlineMs[lane];
      const drained = (await deps.drained?.()) ?? new Set<RouteId>();
      const attempts: AttemptRecord[] = [];
      const promptChars = request.messages.reduce((sum, message) => sum + message.content.length, 0);
      const reserve = Math.ceil(promptChars / CHARS_PER_TOKEN) + settings.maxOutputTokens;
      const candidates = order(lane, drained, started);
      let sent = 0;
      const skip = (route: RouteId, outcome: AttemptRecord['outcome']) => {
        attempts.push({ route, outcome, ms: 0 });
        observer?.attempt(route, lane, outcome, 0);
      };

      budget.deposit(started);
      for (const state of candidates) {
        const at = nowMs();
        if (at >= deadline) {
          skip(state.id, 'deadline');
          break;
        }
        const admission = state.breaker.tryAcquire(at);
        if (admission === 'refused') {
          skip(state.id, 'breaker-open');
          continue;
        }
        const probe = admission === 'probe';
        const grant = state.capacity.tryAcquire(lane, reserve, at);
        if (!grant) {
          state.breaker.release(probe);
          skip(state.id, 'no-capacity');
          continue;
        }
        // Background retries only while the budget is more than half full: customers' failovers come first.
        const retryAllowed = sent === 0 || (budget.balance(at) >= (lane === 'background' ? 10 : 0) && budget.tryWithdraw(at));
        if (!retryAllowed) {
          state.capacity.release(grant, 0, at);
          state.breaker.release(probe);
          skip(state.id, 'retry-budget');
          break;
        }
        sent++;
        try {
          const { completion, ms, firstTokenMs } = await attempt(state, request, deadline);
          const done = nowMs();
          state.capacity.release(grant, completion.inputTokens + completion.outputTokens, done);
          state.breaker.success(done, probe);
          state.latency.record(ms, firstTokenMs, done);
          state.served++;
          attempts.push({ route: state.id, outcome: 'ok', ms });
          observer?.attempt(state.id, lane, 'ok', ms, firstTokenMs);
          const routing: RoutingDecision = {
            lane,
            route: state.id,
            provider: state.config.provider,
            model: state.config.model,
            reason: probe ? 'probe' : sent > 1 ? 'failover' : candidates.length === 1 ? 'only-route' : 'fastest',
            attempts,
            latencyMs: done - started,
            firstTokenMs,
          };
          observer?.served(routing);
          return { completion, routing };
        } catch (caught) {
          const error = caught as ProviderError & { elapsedMs: number };
          const done = nowMs();
          // A timed-out call may still have been billed; a refused one was not.
          state.capacity.release(grant, error.kind === 'timeout' ? reserve : 0, done);
          state.breaker.failure(done, probe);
          // A timed-out attempt was at least this slow and probably much slower: count it as twice its time (or
          // twice the estimate), so a spiking route loses its traffic after a few timeouts, not after dozens.
          if (error.kind === 'timeout') {
            state.latency.record(2 * Math.max(error.elapsedMs, state.latency.estimate(done).latencyMs), error.elapsedMs, done);
          }
          rememberError(state, error.kind, error.message);
          attempts.push({ route: state.id, outcome: error.kind, ms: error.elapsedMs });
          observer?.attempt(state.id, lane, error.kind, error.elapsedMs);
        }
      }

      const at = nowMs();
      const reopen = [...routes.values()]
        .map((state) => state.breaker.snapshot(at).reopensAt)
        .filter((value): value is number => value !== null);
      const retryAfterSeconds = Math.max(1, Math.ceil(((reopen.length > 0 ? Math.min(...reopen) : at + 1000) - at) / 1000));
      const failure = new RoutingFailure(lane, sent === 0, attempts, retryAfterSeconds);
      observer?.failed(failure);
      throw failure;
    },

    async status() {
      const drained = (await deps.drained?.()) ?? new Set<RouteId>();
      const at = nowMs();
      return [...routes.values()].map((state) => {
        const breaker = state.breaker.snapshot(at);
        const estimate = state.latency.estimate(at);
        const capacity = state.capacity.snapshot(at);
        return {
          route: state.id,
          provider: state.config.provider,
          model: state.config.model,
          region: state.config.region ?? null,
          lanes: (['interactive', 'background'] as const).filter((lane) => settings.lanes[lane].routes.some((r) => r.route === state.id)),
          drained: drained.has(state.id),
          breaker: breaker.state,
          reopensAt: breaker.reopensAt === null ? null : new Date(breaker.reopensAt).toISOString(),
          ewmaLatencyMs: Math.round(estimate.latencyMs),
          ewmaFirstTokenMs: Math.round(estimate.firstTokenMs),
          samples: estimate.samples,
          inFlight: capacity.inFlight,
          tokensAvailable: capacity.tokensAvailable,
          served: state.served,
          failures: state.failures,
          recentErrors: state.recentErrors,
        };
      });
    },

    retryBalance: () => budget.balance(nowMs()),
  };
}
