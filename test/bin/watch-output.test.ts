// How a watch ends on the operator's screen: the live line is closed before the summary, so the summary starts on a
// line of its own (never over the bar), and every summary ends with the `next:` command to run.
import { describe, expect, it } from 'vitest';
import { describeMove, moveFrame } from '../../bin/cli/move-commands.js';
import { nextLine, progressText, watchUntilSettled, type WatchOutput } from '../../bin/cli/output.js';
import { describeReadChange, describeSearchMigration } from '../../bin/cli/search-commands.js';
import { indexMigrationProgress } from '../../lambdas/core/migrations/index-migration-progress.js';
import { describeIndexMigration } from '../../lambdas/core/migrations/index-migration-report.js';
import type { IndexMigrationRecord, IndexMigrationTenant } from '../../lambdas/core/migrations/index-migration.js';
import { newMigration } from '../../lambdas/core/migrations/migration-runner.js';
import { toMoveView, type MoveView } from '../../lambdas/core/moves/move-admin.js';
import { initialMoveParams, type TenantMoveParams } from '../../lambdas/core/moves/tenant-move.js';
import type { TenantId } from '../../lambdas/core/tenancy/tenancy.js';

const CR = String.fromCharCode(13);
const ESC = String.fromCharCode(27);
const now = new Date('2026-11-26T14:00:00.000Z');

function moveView(phase: string, change: (params: TenantMoveParams) => TenantMoveParams = (params) => params): MoveView {
  const record = newMigration('move-acme-1', 'tenant-move', 'copying', initialMoveParams('acme' as TenantId, 'shard-0', 'shard-1', 1), now);
  return toMoveView({ ...record, phase, params: change(record.params) }, { now, directoryCacheSeconds: 30 });
}

const copying = (copied: number) =>
  moveView('copying', (params) => ({ ...params, backfill: { ...params.backfill, copied, estimated: 1000 } }));
const soaking = moveView('soaking', (params) => ({ ...params, cutover: { attempts: 1, fenceMs: 9, flippedAt: now.toISOString() } }));

function terminal(isTTY = true): WatchOutput & { text: () => string } {
  let written = '';
  return {
    isTTY,
    columns: 200,
    write: (text: string) => (written += text),
    text: () => written,
  };
}

/** What a `moves status --watch` prints: the watched frames, then the summary. */
async function watchMoves(views: MoveView[], out: ReturnType<typeof terminal>): Promise<string> {
  const queue = [...views];
  const settled = await watchUntilSettled({
    read: async () => queue.shift() as MoveView,
    running: (view) => view.progress.running,
    frame: moveFrame,
    out,
    intervalMs: 0,
  });
  out.write(`${describeMove(settled)}\n`);
  return out.text();
}

describe('watch output', () => {
  it('closes the live line before the summary, which starts on its own line and ends with the next command', async () => {
    const text = await watchMoves([copying(100), copying(600), soaking], terminal());
    const summaryAt = text.indexOf('acme: shard-0 → shard-1  soaking');
    expect(summaryAt).toBeGreaterThan(0);
    expect(text[summaryAt - 1]).toBe('\n');
    // The frames redraw one line in place, each clearing what the previous left.
    const frames = text.slice(0, summaryAt).split(CR).slice(1);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toContain(' 10%  backfilled 100 of ~1,000 items');
    expect(frames[1]).toContain(' 60%  backfilled 600 of ~1,000 items');
    expect(frames.every((frame) => frame.includes(`${ESC}[K`))).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^next: npx headroom moves complete acme \(after the soak, at \d\d:\d\d:\d\d\)$/);
  });

  it('writes one plain line per change when stdout is not a terminal', async () => {
    const text = await watchMoves([copying(100), copying(100), copying(600), soaking], terminal(false));
    expect(text.includes(CR)).toBe(false);
    const lines = text.split('\n');
    expect(lines[0]).toContain('backfilled 100 of');
    expect(lines[1]).toContain('backfilled 600 of');
    expect(lines[2]).toMatch(/^acme: shard-0 → shard-1 {2}soaking/);
  });

  it('ends the live line before an error is printed', async () => {
    const out = terminal();
    let reads = 0;
    const watching = watchUntilSettled({
      read: async () => {
        if (reads++ > 0) throw new Error('connection refused');
        return copying(100);
      },
      running: (view) => view.progress.running,
      frame: moveFrame,
      out,
      intervalMs: 0,
    });
    await expect(watching).rejects.toThrow(/connection refused/);
    expect(out.text().endsWith('\n')).toBe(true);
  });

  it('shows a cancelled move without a percentage, with the command that tries again', () => {
    const text = describeMove(moveView('cancelled'));
    expect(text.split('\n')[0]).toBe(
      'acme: shard-0 → shard-1  cancelled  cancelled before the cutover: acme stays on shard-0; the copy on shard-1 was deleted',
    );
    expect(text.includes('%')).toBe(false);
    expect(text.split('\n').at(-1)).toBe('next: npx headroom tenants move acme --to shard-1 (to try again)');
  });

  it('repeats where the command connected on the next command', () => {
    expect(nextLine({ command: 'headroom moves complete acme' }, { stack: 'HeadroomApi', profile: 'ops', region: 'eu-west-1' })).toBe(
      'next: npx headroom moves complete acme --stack HeadroomApi --profile ops --region eu-west-1',
    );
    expect(nextLine({ command: 'headroom search generations', note: 'nothing left to do' }, { endpoint: 'http://127.0.0.1:9000' })).toBe(
      'next: npx headroom search generations --endpoint http://127.0.0.1:9000 (nothing left to do)',
    );
    expect(progressText({ fraction: null, detail: 'catching up' })).toBe('catching up');
  });

  it('ends a search migration summary with the cutover to run, naming the tenants', () => {
    const record = newMigration('search-g2', 'search-index', 'planned', { from: 'g1', to: 'g2', shadowRate: 0, soakSeconds: 60 }, now);
    const migration: IndexMigrationRecord = { ...record, phase: 'cutting-over', params: { ...record.params, tenantCount: 2 } };
    const tenants: IndexMigrationTenant[] = ['a', 'b'].map((tenantId) => ({
      migrationId: 'search-g2',
      tenantId,
      version: 3,
      data: {
        shard: 'shard-0',
        backfilled: 591,
        estimated: 591,
        backfillDone: true,
        verify: 'verified',
        diff: {
          processed: 592,
          matching: 592,
          mismatched: 0,
          missing: 0,
          extra: 0,
          samples: { mismatched: [], missing: [], extra: [] },
          rechecked: 1,
          repaired: 0,
        },
        cutOver: false,
      },
    }));
    const progress = indexMigrationProgress(migration, tenants, { now, settleSeconds: 20 });
    const status = describeIndexMigration(
      { migration, tenants, progress },
      { compared: 0, mismatched: 0, controlAvgMs: null, candidateAvgMs: null, samples: [] },
    );
    const lines = describeSearchMigration(status).split('\n');
    expect(lines.at(-1)).toBe('next: npx headroom search migrate cutover --tenants a,b (2 verified tenants still read the old generation)');
    expect(lines.find((line) => line.startsWith('a '))).toMatch(/^a +shard-0 +591 +verified +592 +0 +g1/);
    expect(
      describeReadChange({ migrationId: 'search-g2', rolledBack: ['a'], phase: 'cutting-over', progress })
        .split('\n')
        .at(-1),
    ).toMatch(/^next: npx headroom search migrate cutover --tenants a,b/);
  });
});
