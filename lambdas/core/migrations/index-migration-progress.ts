// How far a search index migration is and what the operator runs next, from its stored state alone. The backfill
// is measured in documents against each tenant's estimate (taken when its backfill began) and in tenants against
// the count taken when the migration began; verification and cutover in tenants; the soak in time. While dual-write
// settles there is nothing to count yet, and the progress says so instead of showing 0 %.
import { generationNumber } from '../search/search-generations.js';
import { count, plural, shareOf, type MigrationProgress, type NextStep } from './migration-progress.js';
import type { IndexMigrationRecord, IndexMigrationTenant } from './index-migration.js';

export interface IndexProgressContext {
  readonly now: Date;
  /** How long the playbook waits after turning dual-write on before it backfills (IndexMigrationDeps.settleSeconds). */
  readonly settleSeconds: number;
}

/** Above this many tenants still to cut over, the next step names `--percent 100` rather than every id. */
const LISTED_TENANTS = 10;

/** When the soak of a migration that is soaking ends (ISO 8601); null in any other phase. */
export function soakEndsAt(record: IndexMigrationRecord): string | null {
  const { since, soakSeconds } = record.params;
  return record.phase === 'soaking' && since ? new Date(Date.parse(since) + soakSeconds * 1000).toISOString() : null;
}

/** Tenants the migration knows of: those counted at its start, or more if tenants were created since. */
export const tenantTotal = (record: IndexMigrationRecord, rows: readonly IndexMigrationTenant[]): number =>
  Math.max(record.params.tenantCount ?? 0, rows.length);

/** Documents still differing after a tenant's last verification (0 for a verified tenant). */
export const differingOf = (row: IndexMigrationTenant): number | null =>
  row.data.diff ? row.data.diff.mismatched + row.data.diff.missing + row.data.diff.extra : null;

/** The tenants that are verified but still read the old generation, and those neither verified nor cut over. */
function cutoverReadiness(record: IndexMigrationRecord, rows: readonly IndexMigrationTenant[]) {
  const open = rows.filter((row) => !row.data.cutOver);
  const ready = open.filter((row) => row.data.verify === 'verified').map((row) => row.tenantId);
  const unverified = open.length - ready.length + Math.max(0, tenantTotal(record, rows) - rows.length);
  return { ready, unverified, cutOver: rows.length - open.length };
}

/** The cutover command for the verified tenants still reading the old generation. */
function cutoverStep(ready: readonly string[], unverified: number): NextStep {
  const everyone = unverified === 0 && ready.length > LISTED_TENANTS;
  return {
    command: everyone ? 'headroom search migrate cutover --percent 100' : `headroom search migrate cutover --tenants ${ready.join(',')}`,
    note: `${plural(ready.length, 'verified tenant')} still ${ready.length === 1 ? 'reads' : 'read'} the old generation`,
  };
}

const watchStep: NextStep = { command: 'headroom search migrate status', note: 'the runner is working; nothing to do yet' };

export function indexMigrationProgress(
  record: IndexMigrationRecord,
  rows: readonly IndexMigrationTenant[],
  context: IndexProgressContext,
): MigrationProgress {
  const { from, to } = record.params;
  const tenants = tenantTotal(record, rows);
  const running = (fraction: number | null, detail: string): MigrationProgress => ({ fraction, detail, running: true, next: watchStep });
  switch (record.phase) {
    case 'planned':
      return running(null, `creating ${to} and turning dual-write on`);
    case 'copying': {
      const waited = record.params.since ? (context.now.getTime() - Date.parse(record.params.since)) / 1000 : 0;
      if (waited < context.settleSeconds)
        return running(
          null,
          `dual-write to ${to} is on; the backfill starts in ${Math.ceil(context.settleSeconds - waited)} s, once every instance writes both generations`,
        );
      const done = rows.filter((row) => row.data.backfillDone).length;
      const current = rows.filter((row) => !row.data.backfillDone);
      const partial = current.reduce((sum, row) => sum + (shareOf(row.data.backfilled, row.data.estimated) ?? 0), 0);
      const documents = rows.reduce((sum, row) => sum + row.data.backfilled, 0);
      const within = current.map(
        (row) => `${row.tenantId}: ${count(row.data.backfilled)} of ~${count(row.data.estimated ?? row.data.backfilled)}`,
      );
      return running(
        shareOf(done + partial, tenants),
        `backfilled ${count(done)} of ${plural(tenants, 'tenant')}, ${plural(documents, 'document')} copied${within.length > 0 ? ` (${within.join(', ')})` : ''}`,
      );
    }
    case 'verifying': {
      const verified = rows.filter((row) => row.data.verify === 'verified').length;
      const differing = rows.filter((row) => row.data.verify === 'mismatched');
      const retried = differing.map((row) => `${row.tenantId}: ${plural(differingOf(row) ?? 0, 'document')}`);
      return running(
        shareOf(verified, tenants),
        `verified ${count(verified)} of ${plural(tenants, 'tenant')}${retried.length > 0 ? `; still differing, verified again on the next pass: ${retried.join(', ')}` : ''}`,
      );
    }
    case 'cutting-over': {
      const { ready, unverified, cutOver } = cutoverReadiness(record, rows);
      const detail = `${count(cutOver)} of ${plural(tenants, 'tenant')} read ${to}${unverified > 0 ? `; ${count(unverified)} not verified yet` : ''}`;
      if (ready.length > 0) return { fraction: shareOf(cutOver, tenants), detail, running: false, next: cutoverStep(ready, unverified) };
      // Nothing to cut over until the runner has verified the rest (or, with every tenant cut over, starts the soak).
      return running(shareOf(cutOver, tenants), detail);
    }
    case 'soaking': {
      const ends = soakEndsAt(record);
      const left = ends ? Date.parse(ends) - context.now.getTime() : 0;
      const soakMs = record.params.soakSeconds * 1000;
      return {
        fraction: soakMs > 0 ? Math.min(1, Math.max(0, 1 - left / soakMs)) : null,
        detail: `every tenant reads ${to}; ${left > 0 ? `soaking until ${ends}` : 'the soak is over'}, ${from} is kept until complete`,
        running: false,
        next: { command: 'headroom search migrate complete', ...(left > 0 && ends ? { note: 'after the soak', at: ends } : {}) },
      };
    }
    case 'completing':
      return running(null, `making ${to} the serving generation and dropping ${from}`);
    case 'completed':
      return {
        fraction: null,
        detail: `complete: ${to} serves every tenant; ${from} was dropped`,
        running: false,
        next: { command: 'headroom search generations', note: 'nothing left to do' },
      };
    case 'cancelling':
      return running(null, `cancelling: dropping ${to}; every tenant keeps reading ${from}`);
    case 'cancelled':
      return {
        fraction: null,
        detail: `cancelled: ${to} was dropped; every tenant reads ${from}`,
        running: false,
        next: { command: `headroom search migrate start --to g${generationNumber(to) + 1}`, note: 'to try again' },
      };
    default:
      return running(null, record.phase);
  }
}
