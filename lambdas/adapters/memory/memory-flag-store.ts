// An in-process flag store with the DynamoDB adapter's semantics (version-conditional writes with their audit
// entry), for benchmarks and unit tests.
import type { FlagRecord } from '../../core/flags/flag-definitions.js';
import type { FlagAuditEntry, FlagStore, FlagWriteResult } from '../../core/ports.js';

export class MemoryFlagStore implements FlagStore {
  private readonly flags = new Map<string, FlagRecord>();
  private readonly audit: FlagAuditEntry[] = [];

  async loadAll(): Promise<FlagRecord[]> {
    return [...this.flags.values()];
  }

  async get(key: string): Promise<FlagRecord | undefined> {
    return this.flags.get(key);
  }

  async write(next: FlagRecord, expectedVersion: number, audit: FlagAuditEntry): Promise<FlagWriteResult> {
    const currentVersion = this.flags.get(next.key)?.version ?? 0;
    if (currentVersion !== expectedVersion) return { ok: false, currentVersion };
    this.flags.set(next.key, next);
    this.audit.push(audit);
    return { ok: true };
  }

  async history(key: string, limit: number): Promise<FlagAuditEntry[]> {
    return this.audit
      .filter((entry) => entry.key === key)
      .reverse()
      .slice(0, limit);
  }
}
