// Every function instance evaluates flags from an in-memory copy of all flag definitions, refreshed with one
// Query at most once per TTL (≤ 30 s), so a change reaches every instance within the TTL. If the store is
// unreachable the last good copy keeps serving (and staleness is reported) rather than flipping features off.
import type { FlagdCore } from '@openfeature/flagd-core';
import { compileToFlagd, withBuiltIns, type FlagRecord } from './flag-definitions.js';
import { MAX_FLAG_CACHE_SECONDS } from './flag-settings.js';
import type { Clock } from '../ports.js';

export interface FlagCacheOptions {
  readonly load: () => Promise<readonly FlagRecord[]>;
  readonly clock: Clock;
  readonly ttlSeconds: number;
  /** Told each time a refresh fails while an older copy is served (or none exists). */
  readonly onStale: (error: unknown, ageSeconds: number | undefined) => void;
}

export interface FlagCache {
  /** The current evaluator; undefined only when no copy was ever loaded. */
  evaluator(): Promise<FlagdCore | undefined>;
}

export function createFlagCache({ load, clock, ttlSeconds, onStale }: FlagCacheOptions): FlagCache {
  if (ttlSeconds <= 0 || ttlSeconds > MAX_FLAG_CACHE_SECONDS) {
    throw new Error(`flag cache ttl must be 1-${MAX_FLAG_CACHE_SECONDS} s, got ${ttlSeconds}`);
  }
  let current: { core: FlagdCore; loadedAt: number } | undefined;
  let nextAttempt = 0;
  let inFlight: Promise<void> | undefined;

  const refresh = async () => {
    const startedAt = clock.now().getTime();
    try {
      current = { core: compileToFlagd(withBuiltIns(await load())), loadedAt: startedAt };
      nextAttempt = startedAt + ttlSeconds * 1000;
    } catch (error) {
      // Retry soon, but not on every evaluation: a down table must not be hammered by every request.
      nextAttempt = startedAt + Math.min(5, ttlSeconds) * 1000;
      onStale(error, current ? (startedAt - current.loadedAt) / 1000 : undefined);
    }
  };

  return {
    async evaluator() {
      if (clock.now().getTime() >= nextAttempt) {
        inFlight ??= refresh().finally(() => (inFlight = undefined));
        await inFlight;
      }
      return current?.core;
    },
  };
}
