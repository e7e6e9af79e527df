// Per-tenant token quotas: spend is counted per tenant per UTC day, a tenant at its tier's quota is refused with
// 429 and the quota in the body, and the next UTC day starts from zero.
import { describe, expect, it } from 'vitest';
import { MemoryTokenLedger } from '../../../../lambdas/adapters/memory/memory-token-ledger.js';
import type { TenantId } from '../../../../lambdas/core/tenancy/tenancy.js';
import { createTokenQuota } from '../../../../lambdas/core/llm/token-quota.js';
import { Problem } from '../../../../lambdas/core/problems.js';

describe('token quota', () => {
  it('refuses a tenant over its daily quota with the quota, the spend and the reset time, and only that tenant', async () => {
    let now = new Date('2026-03-01T22:00:00.000Z');
    const quota = createTokenQuota(new MemoryTokenLedger(), { free: 1_000, standard: 10_000, enterprise: 100_000 }, { now: () => now });
    const acme = 'acme' as TenantId;
    await quota.ensureAvailable(acme, 'free');
    await quota.record(acme, 600);
    await quota.record(acme, 500);
    const refusal = await quota.ensureAvailable(acme, 'free').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(Problem);
    expect((refusal as Problem).status).toBe(429);
    expect((refusal as Problem).toDocument()).toMatchObject({
      type: 'https://headroom.dev/problems/token-quota-exceeded',
      quota: 1_000,
      spent: 1_100,
      resetsAt: '2026-03-02T00:00:00.000Z',
      retryAfterSeconds: 7_200,
    });
    await expect(quota.ensureAvailable('globex' as TenantId, 'free')).resolves.toEqual({ spent: 0, quota: 1_000 });
    await expect(quota.ensureAvailable(acme, 'standard')).resolves.toMatchObject({ quota: 10_000 });
    now = new Date('2026-03-02T00:00:01.000Z');
    await expect(quota.ensureAvailable(acme, 'free')).resolves.toEqual({ spent: 0, quota: 1_000 });
  });
});
