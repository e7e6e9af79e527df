// The circuit breaker's state machine on explicit times: it opens only on enough failures, refuses while open,
// lets a bounded number of probes through when half-open, and closes only on a successful probe.
import { describe, expect, it } from 'vitest';
import { createCircuitBreaker, DEFAULT_BREAKER } from '../../../../lambdas/core/llm/circuit-breaker.js';

describe('circuit breaker', () => {
  it('stays closed on occasional failures and opens once failures reach the minimum and the rate', () => {
    const breaker = createCircuitBreaker({ ...DEFAULT_BREAKER, minFailures: 3, failureRate: 0.5 });
    for (let i = 0; i < 10; i++) breaker.success(i, false);
    breaker.failure(10, false);
    breaker.failure(11, false);
    breaker.failure(12, false);
    expect(breaker.snapshot(12).state).toBe('closed'); // 3 of 13: under half
    for (let i = 0; i < 8; i++) breaker.failure(13 + i, false);
    // The 10th failure (at t=19) makes 10 of 20: half, so the breaker opens then.
    expect(breaker.snapshot(21)).toMatchObject({ state: 'open', reopensAt: 19 + DEFAULT_BREAKER.cooldownMs });
    expect(breaker.tryAcquire(22)).toBe('refused');
  });

  it('lets one probe through after the cooldown, closes on its success, and re-opens for twice as long on its failure', () => {
    const transitions: string[] = [];
    const breaker = createCircuitBreaker(DEFAULT_BREAKER, (from, to) => transitions.push(`${from}->${to}`));
    for (let i = 0; i < 3; i++) breaker.failure(0, false);
    const at = DEFAULT_BREAKER.cooldownMs;
    expect(breaker.tryAcquire(at)).toBe('probe');
    expect(breaker.tryAcquire(at)).toBe('refused');
    breaker.failure(at, true);
    expect(breaker.snapshot(at)).toMatchObject({ state: 'open', cooldownMs: 2 * DEFAULT_BREAKER.cooldownMs });
    const later = at + 2 * DEFAULT_BREAKER.cooldownMs;
    expect(breaker.tryAcquire(later)).toBe('probe');
    breaker.success(later, true);
    expect(breaker.tryAcquire(later)).toBe('allowed');
    expect(transitions).toEqual(['closed->open', 'open->half-open', 'half-open->open', 'open->half-open', 'half-open->closed']);
  });

  it('gives back a probe slot that was never used', () => {
    const breaker = createCircuitBreaker(DEFAULT_BREAKER);
    for (let i = 0; i < 3; i++) breaker.failure(0, false);
    expect(breaker.tryAcquire(DEFAULT_BREAKER.cooldownMs)).toBe('probe');
    breaker.release(true);
    expect(breaker.tryAcquire(DEFAULT_BREAKER.cooldownMs)).toBe('probe');
  });
});
