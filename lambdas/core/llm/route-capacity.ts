// Per-route capacity, split by lane: a route's concurrency and tokens per minute are shared, but the background
// lane may use only its configured share of each, so whatever background work piles up, the rest stays free for
// interactive requests. Interactive may use everything. Token spend is reserved up front from an estimate and
// settled with the real usage afterwards.
import type { Lane } from './llm-settings.js';

export interface RouteLimits {
  readonly maxConcurrency: number;
  readonly tokensPerMinute: number;
}

export interface CapacityGrant {
  readonly lane: Lane;
  readonly reservedTokens: number;
}

export interface CapacitySnapshot {
  readonly inFlight: Readonly<Record<Lane, number>>;
  /** Tokens still spendable this minute by each lane. */
  readonly tokensAvailable: Readonly<Record<Lane, number>>;
}

export interface RouteCapacity {
  /** Reserves a slot and `tokens` for `lane`; undefined (and nothing reserved) when over the lane's limits. */
  tryAcquire(lane: Lane, tokens: number, nowMs: number): CapacityGrant | undefined;
  /** Returns the slot and settles the reservation against what the call really used. */
  release(grant: CapacityGrant, usedTokens: number, nowMs: number): void;
  snapshot(nowMs: number): CapacitySnapshot;
}

/** A token bucket that may go negative when real usage exceeds the reservation, so overspend is paid back. */
function minuteBucket(perMinute: number) {
  let tokens = perMinute;
  let at: number | undefined;
  const refill = (nowMs: number) => {
    if (at !== undefined) tokens = Math.min(perMinute, tokens + ((nowMs - at) / 60_000) * perMinute);
    at = nowMs;
  };
  return {
    available(nowMs: number) {
      refill(nowMs);
      return tokens;
    },
    take(amount: number, nowMs: number) {
      refill(nowMs);
      tokens -= amount;
    },
  };
}

export function createRouteCapacity(limits: RouteLimits, backgroundShare: number): RouteCapacity {
  const backgroundConcurrency = Math.max(1, Math.floor(limits.maxConcurrency * backgroundShare));
  const total = minuteBucket(limits.tokensPerMinute);
  const background = minuteBucket(Math.max(1, Math.floor(limits.tokensPerMinute * backgroundShare)));
  const inFlight: Record<Lane, number> = { interactive: 0, background: 0 };

  return {
    tryAcquire(lane, tokens, nowMs) {
      const busy = inFlight.interactive + inFlight.background;
      if (busy >= limits.maxConcurrency) return undefined;
      if (total.available(nowMs) < tokens) return undefined;
      if (lane === 'background') {
        if (inFlight.background >= backgroundConcurrency) return undefined;
        if (background.available(nowMs) < tokens) return undefined;
        background.take(tokens, nowMs);
      }
      total.take(tokens, nowMs);
      inFlight[lane]++;
      return { lane, reservedTokens: tokens };
    },
    release(grant, usedTokens, nowMs) {
      inFlight[grant.lane] = Math.max(0, inFlight[grant.lane] - 1);
      const correction = usedTokens - grant.reservedTokens;
      total.take(correction, nowMs);
      if (grant.lane === 'background') background.take(correction, nowMs);
    },
    snapshot(nowMs) {
      const totalAvailable = Math.floor(total.available(nowMs));
      return {
        inFlight: { ...inFlight },
        tokensAvailable: { interactive: totalAvailable, background: Math.min(totalAvailable, Math.floor(background.available(nowMs))) },
      };
    },
  };
}
