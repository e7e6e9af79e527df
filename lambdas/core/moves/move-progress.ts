// How far a tenant move is and what the operator runs next, from its record alone. Each phase is measured in its
// own units against a total known when it began: the copy in items (conversations and comments) against the
// tenant's estimate of them taken before its first page, its idempotency keys and summaries, which nothing counts
// cheaply, reported beside it; the verify scans against everything the copy read; the cleanup like the copy.
// Catch-up, cutover and the soak wait for something and say what; a move that ended, cancelled or reversed shows no
// percentage, only what happened.
import type { MigrationRecord } from '../migrations/migration-runner.js';
import { count, plural, shareOf, type MigrationProgress, type NextStep } from '../migrations/migration-progress.js';
import type { ItemCounts } from '../tenancy/tenant-items.js';
import type { MovePhase, TenantMoveParams } from './tenant-move.js';

export interface MoveProgressContext {
  readonly now: Date;
  /** How long instances may serve a cached tenant route (MoveAdminDeps.directoryCacheSeconds). */
  readonly directoryCacheSeconds: number;
}

type MoveRecord = MigrationRecord<TenantMoveParams>;

/**
 * The items beside the content, which no estimate counts: how many, and how an operator reads them (", with 40
 * idempotency keys and 3 summaries", or nothing).
 */
function beside(byKind: ItemCounts): { readonly items: number; readonly text: string } {
  const keys = byKind.idempotency ?? 0;
  const summaries = byKind.summary ?? 0;
  const parts = [
    ...(keys > 0 ? [`${count(keys)} idempotency ${keys === 1 ? 'key' : 'keys'}`] : []),
    ...(summaries > 0 ? [`${count(summaries)} ${summaries === 1 ? 'summary' : 'summaries'}`] : []),
  ];
  return { items: keys + summaries, text: parts.length > 0 ? `, with ${parts.join(' and ')}` : '' };
}

/**
 * When `complete` (which deletes the old copy) becomes safe: twice the directory cache time after the flip, so no
 * instance can still hold a route to the old shard.
 */
export function completableAt(record: MoveRecord, directoryCacheSeconds: number): Date {
  const flippedAt = Date.parse(record.params.cutover.flippedAt ?? record.updatedAt);
  return new Date(flippedAt + 2 * directoryCacheSeconds * 1000);
}

export function moveProgress(record: MoveRecord, context: MoveProgressContext): MigrationProgress {
  const p = record.params;
  const tenant = p.tenantId;
  const watch: NextStep = { command: `headroom moves status ${tenant} --watch`, note: 'the runner is working; nothing to do yet' };
  const running = (fraction: number | null, detail: string): MigrationProgress => ({ fraction, detail, running: true, next: watch });
  const again: NextStep = { command: `headroom tenants move ${tenant} --to ${p.to}`, note: 'to try again' };
  const read = p.backfill.copied + p.backfill.stale;
  switch (record.phase as MovePhase) {
    case 'copying': {
      if (p.backfill.estimated === undefined) return running(null, `counting ${tenant}'s items on ${p.from}`);
      const split = `${count(p.backfill.copied)} written, ${count(p.backfill.stale)} already current`;
      // An empty estimate leaves only the count: the tenant may have written since it was taken.
      if (p.backfill.estimated === 0) return running(null, `backfilled ${plural(read, 'item')} to ${p.to} (${split})`);
      const others = beside(p.backfill.byKind);
      return running(
        shareOf(read - others.items, p.backfill.estimated),
        `backfilled ${count(read - others.items)} of ~${plural(p.backfill.estimated, 'item')} to ${p.to}${others.text} (${split})`,
      );
    }
    case 'verifying': {
      const v = p.verify;
      const { report } = v;
      const differing = report.mismatched + report.missing;
      const pass = `verify pass ${v.pass}`;
      const found = `${count(report.matching)} matching, ${count(differing)} differing, ${count(report.changedDuringScan)} changed during the scan`;
      if (v.side === 'source')
        return running(
          shareOf(report.processed, 2 * read),
          `${pass}: compared ${count(report.processed)} of ~${plural(read, 'item')} on ${p.from} with ${p.to} (${found})`,
        );
      return running(
        shareOf(report.processed + v.targetRead, 2 * read),
        `${pass}: looked for extra items on ${p.to}, ${count(v.targetRead)} of ~${count(read)} read (${found})`,
      );
    }
    case 'catching-up': {
      const aborted = p.cutover.lastAbort ? `; cutover attempt ${p.cutover.attempts} aborted: ${p.cutover.lastAbort}` : '';
      const lag = p.lagMs === undefined ? 'measuring replication lag' : `replication lag ${count(p.lagMs)} ms`;
      return running(null, `catching up: ${lag}; the cutover starts once ${p.to} is close enough behind${aborted}`);
    }
    case 'cutting-over':
      return running(
        null,
        `cutting over: ${tenant}'s writes are fenced on ${p.from} while ${p.to} takes the last changes (attempt ${p.cutover.attempts + 1})`,
      );
    case 'soaking': {
      const at = completableAt(record, context.directoryCacheSeconds);
      const ahead = at.getTime() > context.now.getTime();
      return {
        fraction: null,
        detail: `${tenant} reads and writes ${p.to} (cut over at ${p.cutover.flippedAt ?? record.updatedAt}, fence ${p.cutover.fenceMs ?? '-'} ms); reverse replication keeps ${p.from} current, so \`headroom moves reverse ${tenant}\` can still move it back`,
        running: false,
        next: { command: `headroom moves complete ${tenant}`, ...(ahead ? { note: 'after the soak', at: at.toISOString() } : {}) },
      };
    }
    case 'reversing':
      return running(
        null,
        `reversing: moving ${tenant} back to ${p.from} behind a short write fence (attempt ${(p.reverse?.attempts ?? 0) + 1})`,
      );
    case 'cleaning-up': {
      const cleanup = p.cleanup;
      if (!cleanup) return running(null, 'cleaning up');
      const what = {
        completed: `completing: deleting the old copy on ${cleanup.shard}`,
        cancelled: `cancelling: deleting the copy on ${cleanup.shard}; ${tenant} stays on ${p.from}`,
        reversed: `reversing: deleting the copy on ${cleanup.shard}; ${tenant} is back on ${p.from}`,
      }[cleanup.then];
      if (cleanup.estimated === undefined) return running(null, `${what}, counting its items`);
      if (cleanup.estimated === 0) return running(null, `${what}, ${plural(cleanup.deleted, 'item')} deleted`);
      const others = beside(cleanup.byKind);
      return running(
        shareOf(cleanup.deleted - others.items, cleanup.estimated),
        `${what}, ${count(cleanup.deleted - others.items)} of ~${plural(cleanup.estimated, 'item')} deleted${others.text}`,
      );
    }
    case 'completed':
      return {
        fraction: null,
        detail: `complete: ${tenant} lives on ${p.to}; its old copy on ${p.from} was deleted`,
        running: false,
        next: { command: 'headroom shards list', note: 'nothing left to do' },
      };
    case 'cancelled':
      return {
        fraction: null,
        detail: `cancelled before the cutover: ${tenant} stays on ${p.from}; the copy on ${p.to} was deleted`,
        running: false,
        next: again,
      };
    case 'reversed':
      return {
        fraction: null,
        detail: `reversed: ${tenant} is back on ${p.from}; the copy on ${p.to} was deleted`,
        running: false,
        next: again,
      };
    default:
      return running(null, record.phase);
  }
}
