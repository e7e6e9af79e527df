import { describe, expect, it } from 'vitest';
import { createTokenBuckets } from '../../../../lambdas/core/fairness/token-bucket.js';

describe('token buckets', () => {
  const limits = { rate: 10, burst: 20 };

  it('allows a full burst, then the refill rate, per key', () => {
    const buckets = createTokenBuckets();
    const burst = Array.from({ length: 25 }, () => buckets.take('a', limits, 0)).filter(Boolean).length;
    expect(burst).toBe(20);
    expect(buckets.take('b', limits, 0)).toBe(true);
    expect(buckets.waitSeconds('a', limits, 0)).toBeCloseTo(0.1);
    let admitted = 0;
    for (let ms = 0; ms <= 10_000; ms += 10) if (buckets.take('a', limits, ms)) admitted++;
    expect(admitted).toBeGreaterThanOrEqual(99);
    expect(admitted).toBeLessThanOrEqual(101);
  });

  it('never refills above the burst after idling', () => {
    const buckets = createTokenBuckets();
    buckets.take('a', limits, 0);
    const admitted = Array.from({ length: 50 }, () => buckets.take('a', limits, 3_600_000)).filter(Boolean).length;
    expect(admitted).toBe(20);
  });

  it('forgets the oldest key beyond its bound', () => {
    const buckets = createTokenBuckets(2);
    for (let i = 0; i < 20; i++) buckets.take('a', limits, 0);
    buckets.take('b', limits, 0);
    buckets.take('c', limits, 0);
    expect(buckets.take('a', limits, 0)).toBe(true);
  });
});
