// The retry budget: retries are paid for by first attempts (ratio) plus a small floor per second, so sustained
// failure cannot turn every request into several.
import { describe, expect, it } from 'vitest';
import { createRetryBudget } from '../../../../lambdas/core/llm/retry-budget.js';

describe('retry budget', () => {
  it('allows the saved-up balance, then one retry per 1/ratio first attempts', () => {
    const budget = createRetryBudget({ ratio: 0.2, minPerSecond: 0, maxBalance: 5 });
    let retries = 0;
    for (let i = 0; i < 100; i++) {
      budget.deposit(0);
      if (budget.tryWithdraw(0)) retries++;
    }
    expect(retries).toBe(5 + 20 - 1);
  });

  it('refills at the floor rate with no traffic, up to the maximum balance', () => {
    const budget = createRetryBudget({ ratio: 0.2, minPerSecond: 2, maxBalance: 5 });
    for (let i = 0; i < 5; i++) expect(budget.tryWithdraw(0)).toBe(true);
    expect(budget.tryWithdraw(0)).toBe(false);
    expect(budget.tryWithdraw(500)).toBe(true);
    expect(budget.balance(60_000)).toBe(5);
  });
});
