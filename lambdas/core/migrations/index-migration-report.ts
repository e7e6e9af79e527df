// What operators see of a search migration: per tenant backfill, verification, differences and read generation,
// totals, the progress and next step (index-migration-progress.ts), and the shadow reads. Pure formatting of stored
// state; nothing here decides anything. Each count means one thing: `backfilled` documents the backfill scan copied,
// `matching` documents found identical by the last verification (documents written since the backfill included, so
// it may exceed `backfilled`), `differing` documents that still differed after its re-checks.
import type { IndexMigrationParams, TenantProgress } from './index-migration.js';
import { differingOf, soakEndsAt, tenantTotal } from './index-migration-progress.js';
import type { MigrationProgress } from './migration-progress.js';
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
  status: {
    migration: MigrationRecord<IndexMigrationParams>;
    tenants: MigrationTenantRecord<TenantProgress>[];
    progress: MigrationProgress;
  },
  shadow: ShadowView,
) {
  const { migration, tenants, progress } = status;
  const { from, to, soakSeconds, shadowRate } = migration.params;
  const rows = tenants.map((row) => ({
    tenantId: row.tenantId,
    shard: row.data.shard,
    backfilled: row.data.backfilled,
    estimated: row.data.estimated ?? null,
    backfillDone: row.data.backfillDone,
    verify: row.data.verify,
    matching: row.data.diff?.matching ?? null,
    differing: differingOf(row),
    samples: row.data.diff?.samples ?? null,
    readGeneration: row.data.cutOver ? to : from,
    cutOverAt: row.data.cutOverAt ?? null,
  }));
  return {
    migration: { ...summarizeMigration(migration), from, to, shadowRate, soakSeconds, soakEndsAt: soakEndsAt(migration) },
    progress,
    totals: {
      tenants: tenantTotal(migration, tenants),
      tenantsBackfilled: rows.filter((row) => row.backfillDone).length,
      documentsBackfilled: rows.reduce((sum, row) => sum + row.backfilled, 0),
      tenantsVerified: rows.filter((row) => row.verify === 'verified').length,
      tenantsDiffering: rows.filter((row) => row.verify === 'mismatched').length,
      tenantsCutOver: rows.filter((row) => row.readGeneration === to).length,
    },
    shadow,
    tenants: rows,
  };
}
