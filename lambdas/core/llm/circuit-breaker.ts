// A circuit breaker per route: once a route fails often enough it is taken out of rotation (open) for a
// cooldown, then tried again with a bounded number of probes (half-open); only successful probes put it back.
// So a dead route costs a handful of failed attempts, not one per request, and a recovered route returns on
// its own. Time comes from the caller, so every transition is deterministic under test.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Outcomes considered (a sliding count window). */
  readonly window: number;
  /** The breaker opens only with at least this many failures in the window... */
  readonly minFailures: number;
  /** ...making up at least this fraction of it. */
  readonly failureRate: number;
  /** First open period; doubles after every failed probe, up to `maxCooldownMs`. */
  readonly cooldownMs: number;
  readonly maxCooldownMs: number;
  /** Probes allowed in flight while half-open, and successes needed to close. */
  readonly probes: number;
}

export const DEFAULT_BREAKER: BreakerOptions = {
  window: 20,
  minFailures: 3,
  failureRate: 0.5,
  cooldownMs: 2_000,
  maxCooldownMs: 60_000,
  probes: 1,
};

export interface BreakerSnapshot {
  readonly state: BreakerState;
  readonly failuresInWindow: number;
  readonly outcomesInWindow: number;
  /** When an open breaker lets the next probe through (epoch ms). */
  readonly reopensAt: number | null;
  readonly cooldownMs: number;
}

export interface CircuitBreaker {
  /** Whether a request may be sent now; in half-open this takes a probe slot that `success`/`failure` returns. */
  tryAcquire(nowMs: number): 'allowed' | 'probe' | 'refused';
  success(nowMs: number, probe: boolean): void;
  failure(nowMs: number, probe: boolean): void;
  /** A probe that was never sent (capacity refused it) gives its slot back without an outcome. */
  release(probe: boolean): void;
  snapshot(nowMs: number): BreakerSnapshot;
}

export function createCircuitBreaker(options: BreakerOptions = DEFAULT_BREAKER, onChange?: (from: BreakerState, to: BreakerState) => void) {
  let state: BreakerState = 'closed';
  let outcomes: boolean[] = [];
  let openedUntil = 0;
  let cooldown = options.cooldownMs;
  let probesInFlight = 0;
  let probeSuccesses = 0;

  const move = (to: BreakerState) => {
    if (to === state) return;
    const from = state;
    state = to;
    onChange?.(from, to);
  };
  const open = (nowMs: number) => {
    openedUntil = nowMs + cooldown;
    probesInFlight = 0;
    probeSuccesses = 0;
    move('open');
  };
  const refresh = (nowMs: number) => {
    if (state === 'open' && nowMs >= openedUntil) move('half-open');
  };

  const breaker: CircuitBreaker = {
    tryAcquire(nowMs) {
      refresh(nowMs);
      if (state === 'closed') return 'allowed';
      if (state === 'open' || probesInFlight >= options.probes) return 'refused';
      probesInFlight++;
      return 'probe';
    },
    success(_nowMs, probe) {
      if (probe && state === 'half-open') {
        probesInFlight = Math.max(0, probesInFlight - 1);
        if (++probeSuccesses >= options.probes) {
          outcomes = [];
          cooldown = options.cooldownMs;
          move('closed');
        }
        return;
      }
      if (state === 'closed') outcomes = [...outcomes.slice(-(options.window - 1)), true];
    },
    failure(nowMs, probe) {
      if (probe && state === 'half-open') {
        cooldown = Math.min(options.maxCooldownMs, cooldown * 2);
        open(nowMs);
        return;
      }
      if (state !== 'closed') return;
      outcomes = [...outcomes.slice(-(options.window - 1)), false];
      const failures = outcomes.filter((ok) => !ok).length;
      if (failures >= options.minFailures && failures / outcomes.length >= options.failureRate) open(nowMs);
    },
    release(probe) {
      if (probe) probesInFlight = Math.max(0, probesInFlight - 1);
    },
    snapshot(nowMs) {
      refresh(nowMs);
      return {
        state,
        failuresInWindow: outcomes.filter((ok) => !ok).length,
        outcomesInWindow: outcomes.length,
        reopensAt: state === 'open' ? openedUntil : null,
        cooldownMs: cooldown,
      };
    },
  };
  return breaker;
}
