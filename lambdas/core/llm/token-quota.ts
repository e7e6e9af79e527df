// Per-tenant LLM token quotas: a tenant spends tokens (prompt + completion) from a daily allowance set by its
// tier, counted in a shared ledger so every function instance sees the same total. A tenant over its quota is
// refused before any provider is called (429 with the quota in the body), so one tenant's heavy use of AI help
// cannot spend the capacity every other tenant shares.
import { Problem } from '../problems.js';
import type { Tier } from '../tenancy/tiers.js';
import type { Clock } from '../ports.js';
import type { TenantId } from '../tenancy/tenancy.js';

/** Tokens spent per tenant per UTC day. */
export interface TokenLedger {
  spent(tenantId: TenantId, day: string): Promise<number>;
  /** Adds `tokens` to the tenant's count for `day` (atomic on the store's side). */
  add(tenantId: TenantId, day: string, tokens: number): Promise<void>;
}

export interface TokenQuota {
  /** Throws `token-quota-exceeded` when the tenant has nothing left today. */
  ensureAvailable(tenantId: TenantId, tier: Tier): Promise<{ readonly spent: number; readonly quota: number }>;
  record(tenantId: TenantId, tokens: number): Promise<void>;
}

export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

export function createTokenQuota(ledger: TokenLedger, perDay: Readonly<Record<Tier, number>>, clock: Clock): TokenQuota {
  return {
    async ensureAvailable(tenantId, tier) {
      const now = clock.now();
      const quota = perDay[tier];
      const spent = await ledger.spent(tenantId, utcDay(now));
      if (spent >= quota) {
        const resetsAt = new Date(`${utcDay(now)}T00:00:00.000Z`);
        resetsAt.setUTCDate(resetsAt.getUTCDate() + 1);
        const retryAfterSeconds = Math.max(1, Math.ceil((resetsAt.getTime() - now.getTime()) / 1000));
        throw new Problem(
          'token-quota-exceeded',
          `This account has used ${spent} of its ${quota} AI tokens for today (UTC). It resets at ${resetsAt.toISOString()}; ask for a higher tier to raise it.`,
          { quota, spent, resetsAt: resetsAt.toISOString(), retryAfterSeconds },
        );
      }
      return { spent, quota };
    },
    async record(tenantId, tokens) {
      if (tokens > 0) await ledger.add(tenantId, utcDay(clock.now()), tokens);
    },
  };
}
