// An in-process migration store with the DynamoDB adapter's semantics (conditional on version), for core
// unit tests of the runner and the playbooks.
import type { MigrationKind, MigrationRecord, MigrationTenantRecord } from '../../core/migrations/migration-runner.js';
import type { MigrationStore } from '../../core/ports.js';

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryMigrationStore implements MigrationStore {
  private readonly records = new Map<string, MigrationRecord>();
  private readonly tenants = new Map<string, Map<string, MigrationTenantRecord>>();

  async create(record: MigrationRecord<unknown>): Promise<boolean> {
    if (this.records.has(record.id)) return false;
    this.records.set(record.id, copy(record) as MigrationRecord);
    return true;
  }

  async get(id: string): Promise<MigrationRecord | undefined> {
    const record = this.records.get(id);
    return record && copy(record);
  }

  async save(record: MigrationRecord<unknown>, expectedVersion: number): Promise<boolean> {
    if (this.records.get(record.id)?.version !== expectedVersion) return false;
    this.records.set(record.id, copy(record) as MigrationRecord);
    return true;
  }

  async list(kind?: MigrationKind): Promise<MigrationRecord[]> {
    return [...this.records.values()]
      .filter((record) => !kind || record.kind === kind)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map(copy);
  }

  async getTenant(id: string, tenantId: string): Promise<MigrationTenantRecord | undefined> {
    const record = this.tenants.get(id)?.get(tenantId);
    return record && copy(record);
  }

  async putTenant(record: MigrationTenantRecord<unknown>, expectedVersion: number): Promise<boolean> {
    const tenants = this.tenants.get(record.migrationId) ?? new Map<string, MigrationTenantRecord>();
    this.tenants.set(record.migrationId, tenants);
    if ((tenants.get(record.tenantId)?.version ?? 0) !== expectedVersion) return false;
    tenants.set(record.tenantId, copy(record) as MigrationTenantRecord);
    return true;
  }

  async listTenants(id: string): Promise<MigrationTenantRecord[]> {
    return [...(this.tenants.get(id)?.values() ?? [])].map(copy);
  }
}
