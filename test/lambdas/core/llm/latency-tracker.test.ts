// The peak-EWMA latency estimate: a slower sample counts at once, faster ones pull it down gradually, and an
// unused route's estimate decays so it is measured again.
import { describe, expect, it } from 'vitest';
import { createLatencyTracker } from '../../../../lambdas/core/llm/latency-tracker.js';

describe('latency tracker', () => {
  it('takes a spike at once and comes down over several faster samples', () => {
    const tracker = createLatencyTracker({ decayMs: 10_000, priorMs: 500 });
    expect(tracker.estimate(0)).toEqual({ latencyMs: 500, firstTokenMs: 500, samples: 0 });
    tracker.record(50, 20, 0);
    tracker.record(1_000, 400, 100);
    expect(tracker.estimate(100).latencyMs).toBe(1_000);
    for (let t = 200; t <= 3_000; t += 100) tracker.record(50, 20, t);
    const after = tracker.estimate(3_000).latencyMs;
    expect(after).toBeLessThan(150);
    expect(after).toBeGreaterThan(50);
  });

  it('decays an unused estimate, so a route that was slow is tried again later', () => {
    const tracker = createLatencyTracker({ decayMs: 10_000, priorMs: 500 });
    tracker.record(5_000, 2_000, 0);
    expect(tracker.estimate(0).latencyMs).toBe(5_000);
    expect(tracker.estimate(120_000).latencyMs).toBeLessThan(100);
  });
});
