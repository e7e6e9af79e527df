// A retry budget: second and later attempts may add at most `ratio` of first attempts (plus a small floor per
// second so a quiet instance can still fail over). When every route is struggling, retries would multiply the
// load on them; the budget caps that multiplication at 1 + ratio instead of the number of routes.

export interface RetryBudgetOptions {
  /** Retry tokens earned per first attempt. */
  readonly ratio: number;
  /** Retry tokens earned per second regardless of traffic. */
  readonly minPerSecond: number;
  /** Most tokens that can be saved up. */
  readonly maxBalance: number;
}

export interface RetryBudget {
  /** Records a first attempt (earns `ratio` tokens). */
  deposit(nowMs: number): void;
  /** Takes one token for a retry; false when the budget is spent. */
  tryWithdraw(nowMs: number): boolean;
  balance(nowMs: number): number;
}

export function createRetryBudget({ ratio, minPerSecond, maxBalance }: RetryBudgetOptions): RetryBudget {
  let tokens = maxBalance;
  let at: number | undefined;
  const refill = (nowMs: number) => {
    if (at !== undefined) tokens = Math.min(maxBalance, tokens + ((nowMs - at) / 1000) * minPerSecond);
    at = nowMs;
  };
  return {
    deposit(nowMs) {
      refill(nowMs);
      tokens = Math.min(maxBalance, tokens + ratio);
    },
    tryWithdraw(nowMs) {
      refill(nowMs);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    balance(nowMs) {
      refill(nowMs);
      return tokens;
    },
  };
}
