// An in-process token ledger with the DynamoDB adapter's semantics (per tenant per day, additive), for unit tests
// and benchmarks.
import type { TenantId } from '../../core/tenancy/tenancy.js';
import type { TokenLedger } from '../../core/llm/token-quota.js';

export class MemoryTokenLedger implements TokenLedger {
  private readonly counts = new Map<string, number>();

  async spent(tenantId: TenantId, day: string): Promise<number> {
    return this.counts.get(`${tenantId}/${day}`) ?? 0;
  }

  async add(tenantId: TenantId, day: string, tokens: number): Promise<void> {
    const key = `${tenantId}/${day}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + tokens);
  }
}
