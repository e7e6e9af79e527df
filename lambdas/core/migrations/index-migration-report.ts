// What operators see of a search migration: per tenant backfill, verification, mismatches and read generation,
// totals for progress bars, and the shadow reads. Pure formatting of stored state; nothing here decides anything.
import type { IndexMigrationParams, TenantProgress } from './index-migration.js';
import type { MigrationRecord, MigrationTenantRecord } from './migration-runner.js';

export interface ShadowView {
  readonly compared: number;
  readonly mismatched: number;
  readonly controlAvgMs: number | null;
  readonly candidateAvgMs: number | null;
  readonly samples: unknown[];
}

export const summarizeMigration = (record: MigrationRecord<unknown>) => ({
  id: record.id,
  kind: record.kind,
  phase: record.phase,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
  phaseTimestamps: record.phaseTimestamps,
  lastError: record.lastError ?? null,
});

export function describeIndexMigration(
  status: { migration: MigrationRecord<IndexMigrationParams>; tenants: MigrationTenantRecord<TenantProgress>[] },
  shadow: ShadowView,
) {
  const { migration, tenants } = status;
  const { from, to, soakSeconds, shadowRate } = migration.params;
  const rows = tenants.map(({ tenantId, data }) => ({
    tenantId,
    shard: data.shard,
    backfilled: data.backfilled,
    backfillDone: data.backfillDone,
    verify: data.verify,
    matching: data.diff?.matching ?? null,
    mismatched: data.diff ? data.diff.mismatched + data.diff.missing + data.diff.extra : null,
    stillDiffering: data.diff?.stillDiffering ?? null,
    samples: data.diff?.samples ?? null,
    readGeneration: data.cutOver ? to : from,
    cutOverAt: data.cutOverAt ?? null,
  }));
  const soakEndsAt =
    migration.phase === 'soaking' && migration.params.since
      ? new Date(Date.parse(migration.params.since) + soakSeconds * 1000).toISOString()
      : null;
  return {
    migration: { ...summarizeMigration(migration), from, to, shadowRate, soakSeconds, soakEndsAt },
    totals: {
      tenants: rows.length,
      backfilled: rows.filter((row) => row.backfillDone).length,
      documents: rows.reduce((sum, row) => sum + row.backfilled, 0),
      verified: rows.filter((row) => row.verify === 'verified').length,
      mismatched: rows.filter((row) => row.verify === 'mismatched').length,
      cutOver: rows.filter((row) => row.readGeneration === to).length,
    },
    shadow,
    tenants: rows,
  };
}
