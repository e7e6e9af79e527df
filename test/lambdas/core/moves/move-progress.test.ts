// What operators are told about a move: progress in each phase's own units against a known total (never a
// phase-weighted jump), no percentage once it was cancelled or reversed, and always the one command to run next.
import { describe, expect, it } from 'vitest';
import { newMigration, type MigrationRecord } from '../../../../lambdas/core/migrations/migration-runner.js';
import { completableAt, moveProgress } from '../../../../lambdas/core/moves/move-progress.js';
import { initialMoveParams, type TenantMoveParams } from '../../../../lambdas/core/moves/tenant-move.js';
import type { TenantId } from '../../../../lambdas/core/tenancy/tenancy.js';

const started = new Date('2026-11-26T14:00:00.000Z');
const context = { now: new Date('2026-11-26T14:02:00.000Z'), directoryCacheSeconds: 30 };

function move(
  phase: string,
  change: (params: TenantMoveParams) => TenantMoveParams = (params) => params,
): MigrationRecord<TenantMoveParams> {
  const record = newMigration(
    'move-acme-1',
    'tenant-move',
    'copying',
    initialMoveParams('acme' as TenantId, 'shard-0', 'shard-1', 1),
    started,
  );
  return { ...record, phase, params: change(record.params) };
}

const copied =
  (n: number, stale = 0, bookkeeping: { idempotency?: number; summary?: number } = {}) =>
  (params: TenantMoveParams) => {
    const others = (bookkeeping.idempotency ?? 0) + (bookkeeping.summary ?? 0);
    const content = n + stale - others;
    const conversation = Math.floor(content / 5);
    return {
      ...params,
      backfill: {
        ...params.backfill,
        copied: n,
        stale,
        estimated: 5000,
        byKind: { conversation, comment: content - conversation, ...bookkeeping },
      },
    };
  };

describe('move progress', () => {
  it('measures the copy in items against the estimate taken before the first page, advancing page by page', () => {
    expect(moveProgress(move('copying'), context)).toMatchObject({
      fraction: null,
      detail: "counting acme's items on shard-0",
      running: true,
    });
    const fractions = [0, 500, 1000, 1500, 4900].map((n) => moveProgress(move('copying', copied(n)), context).fraction);
    expect(fractions).toEqual([0, 0.1, 0.2, 0.3, 0.98]);
    expect(moveProgress(move('copying', copied(1200, 34)), context).detail).toBe(
      'backfilled 1,234 of ~5,000 items to shard-1 (1,200 written, 34 already current)',
    );
    // More items than estimated (the tenant kept writing): still short of 100 % until the copy is done.
    expect(moveProgress(move('copying', copied(6000)), context).fraction).toBe(0.99);
  });

  it('counts idempotency keys and summaries beside the content, never against its estimate', () => {
    // 2,500 of the 5,000 conversations and comments, with 600 keys and summaries the estimate does not count.
    const progress = moveProgress(move('copying', copied(3000, 100, { idempotency: 541, summary: 59 })), context);
    expect(progress).toMatchObject({
      fraction: 0.5,
      detail:
        'backfilled 2,500 of ~5,000 items to shard-1, with 541 idempotency keys and 59 summaries (3,000 written, 100 already current)',
    });
    expect(moveProgress(move('copying', copied(10, 0, { idempotency: 1, summary: 1 })), context).detail).toMatch(
      /, with 1 idempotency key and 1 summary \(/,
    );
  });

  it('gives an honest count, not a percentage, when there is no total to measure against', () => {
    const empty = move('copying', (params) => ({ ...params, backfill: { ...params.backfill, copied: 3, estimated: 0 } }));
    expect(moveProgress(empty, context)).toMatchObject({
      fraction: null,
      detail: 'backfilled 3 items to shard-1 (3 written, 0 already current)',
    });
  });

  it('measures verification over both scans against the items the copy read, so it never jumps back', () => {
    const verifying = (side: 'source' | 'target', processed: number, targetRead: number) =>
      moveProgress(
        move('verifying', (params) => ({
          ...params,
          backfill: { ...params.backfill, copied: 1000, stale: 0, done: true, estimated: 1000 },
          verify: { ...params.verify, side, targetRead, report: { ...params.verify.report, processed, matching: processed } },
        })),
        context,
      );
    expect(verifying('source', 500, 0).fraction).toBe(0.25);
    expect(verifying('target', 1000, 0).fraction).toBe(0.5);
    expect(verifying('target', 1000, 500)).toMatchObject({
      fraction: 0.75,
      detail:
        'verify pass 1: looked for extra items on shard-1, 500 of ~1,000 read (1,000 matching, 0 differing, 0 changed during the scan)',
    });
  });

  it('says what catch-up and cutover wait for instead of a percentage', () => {
    const lagging = moveProgress(
      move('catching-up', (params) => ({ ...params, lagMs: 1500 })),
      context,
    );
    expect(lagging).toMatchObject({ fraction: null, running: true });
    expect(lagging.detail).toMatch(/replication lag 1,500 ms/);
    expect(moveProgress(move('cutting-over'), context)).toMatchObject({ fraction: null, running: true });
  });

  it('names `moves complete` with the time it becomes safe once the move soaks', () => {
    const soaking = move('soaking', (params) => ({
      ...params,
      cutover: { attempts: 1, fenceMs: 12, flippedAt: '2026-11-26T14:01:30.000Z' },
    }));
    expect(completableAt(soaking, 30).toISOString()).toBe('2026-11-26T14:02:30.000Z');
    expect(moveProgress(soaking, context)).toMatchObject({
      fraction: null,
      running: false,
      next: { command: 'headroom moves complete acme', note: 'after the soak', at: '2026-11-26T14:02:30.000Z' },
    });
    expect(moveProgress(soaking, { ...context, now: new Date('2026-11-26T14:03:00.000Z') }).next).toEqual({
      command: 'headroom moves complete acme',
    });
  });

  it('shows no percentage for a cancelled or reversed move, and names the command that tries again', () => {
    for (const phase of ['cancelled', 'reversed']) {
      const ended = moveProgress(move(phase), context);
      expect(ended).toMatchObject({ fraction: null, running: false, next: { command: 'headroom tenants move acme --to shard-1' } });
      expect(ended.detail).toMatch(/acme (stays on|is back on) shard-0/);
    }
    expect(moveProgress(move('completed'), context)).toMatchObject({
      fraction: null,
      running: false,
      next: { command: 'headroom shards list' },
    });
  });

  it('measures the cleanup of a cancel against the copy it deletes, and says it is a cancel', () => {
    const cancelling = move('cleaning-up', (params) => ({
      ...params,
      cleanup: {
        shard: 'shard-1',
        deleted: 260,
        byKind: { conversation: 50, comment: 200, idempotency: 10 },
        estimated: 1000,
        then: 'cancelled',
      },
    }));
    expect(moveProgress(cancelling, context)).toMatchObject({
      fraction: 0.25,
      detail: 'cancelling: deleting the copy on shard-1; acme stays on shard-0, 250 of ~1,000 items deleted, with 10 idempotency keys',
      running: true,
    });
  });
});
