// A token bucket: `rate` tokens per second refill up to `burst`. Used wherever Headroom admits work per key
// (usage plans on the embedded platform, job admission per tenant group) so bursts are allowed but sustained
// overuse is not. Time comes from the caller, so behaviour is deterministic under test.

export interface TokenBucketLimits {
  readonly rate: number;
  readonly burst: number;
}

export interface TokenBuckets {
  /** Takes one token for `key` at time `nowMs`; false when the bucket is empty. */
  take(key: string, limits: TokenBucketLimits, nowMs: number): boolean;
  /** Seconds until `key` has a token again (0 when it has one now). */
  waitSeconds(key: string, limits: TokenBucketLimits, nowMs: number): number;
}

export function createTokenBuckets(maxKeys = 100_000): TokenBuckets {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refill = (key: string, limits: TokenBucketLimits, nowMs: number) => {
    const bucket = buckets.get(key) ?? { tokens: limits.burst, at: nowMs };
    bucket.tokens = Math.min(limits.burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * limits.rate);
    bucket.at = nowMs;
    if (!buckets.has(key)) {
      if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string);
      buckets.set(key, bucket);
    }
    return bucket;
  };
  return {
    take(key, limits, nowMs) {
      const bucket = refill(key, limits, nowMs);
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
    waitSeconds(key, limits, nowMs) {
      const bucket = refill(key, limits, nowMs);
      return bucket.tokens >= 1 ? 0 : (1 - bucket.tokens) / limits.rate;
    },
  };
}
