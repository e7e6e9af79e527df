// What operators are told about a search migration: nothing counted while dual-write settles (and when the backfill
// starts), the backfill in documents against each tenant's estimate, and always the one command to run next.
import { describe, expect, it } from 'vitest';
import type { IndexMigrationRecord, IndexMigrationTenant, TenantProgress } from '../../../../lambdas/core/migrations/index-migration.js';
import { indexMigrationProgress } from '../../../../lambdas/core/migrations/index-migration-progress.js';
import { newMigration } from '../../../../lambdas/core/migrations/migration-runner.js';

const now = new Date('2026-11-26T14:00:00.000Z');
const context = { now, settleSeconds: 20 };
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

function migration(phase: string, params: Partial<IndexMigrationRecord['params']> = {}): IndexMigrationRecord {
  const record = newMigration('search-g2', 'search-index', 'planned', { from: 'g1', to: 'g2', shadowRate: 0, soakSeconds: 600 }, now);
  return { ...record, phase, params: { ...record.params, tenantCount: 3, ...params } };
}

const row = (tenantId: string, data: Partial<TenantProgress>): IndexMigrationTenant => ({
  migrationId: 'search-g2',
  tenantId,
  version: 1,
  data: { shard: 'shard-0', backfilled: 0, backfillDone: false, verify: 'pending', cutOver: false, ...data },
});

const verified = (tenantId: string, cutOver = false) =>
  row(tenantId, { backfilled: 10, estimated: 10, backfillDone: true, verify: 'verified', cutOver });

describe('index migration progress', () => {
  it('says when the backfill starts while dual-write settles, instead of showing 0 %', () => {
    expect(indexMigrationProgress(migration('copying', { since: ago(8) }), [], context)).toMatchObject({
      fraction: null,
      detail: 'dual-write to g2 is on; the backfill starts in 12 s, once every instance writes both generations',
      running: true,
      next: { command: 'headroom search migrate status' },
    });
  });

  it('moves with the documents copied within a tenant, not only when a tenant is done', () => {
    const copying = migration('copying', { since: ago(60) });
    const at = (backfilled: number) =>
      indexMigrationProgress(copying, [verified('acme'), row('beta', { backfilled, estimated: 400 })], context);
    expect(at(0).fraction).toBeCloseTo(1 / 3);
    expect(at(200).fraction).toBeCloseTo(1.5 / 3);
    expect(at(200).detail).toBe('backfilled 1 of 3 tenants, 210 documents copied (beta: 200 of ~400)');
  });

  it('names the cutover of the verified tenants still reading the old generation', () => {
    const cutting = migration('cutting-over');
    const progress = indexMigrationProgress(cutting, [verified('acme', true), verified('beta'), verified('gamma')], context);
    expect(progress).toMatchObject({
      fraction: 1 / 3,
      running: false,
      next: { command: 'headroom search migrate cutover --tenants beta,gamma' },
    });
    const many = Array.from({ length: 12 }, (_, i) => verified(`t${i}`));
    expect(indexMigrationProgress(migration('cutting-over', { tenantCount: 12 }), many, context).next.command).toBe(
      'headroom search migrate cutover --percent 100',
    );
    // A tenant not verified yet is not named; the ones that are, are.
    const mixed = [verified('acme'), row('beta', { backfillDone: true, verify: 'mismatched' })];
    expect(indexMigrationProgress(cutting, mixed, context)).toMatchObject({
      detail: '0 of 3 tenants read g2; 2 not verified yet',
      next: { command: 'headroom search migrate cutover --tenants acme' },
    });
  });

  it('names complete after the soak, with the time it ends', () => {
    const soaking = migration('soaking', { since: ago(300) });
    expect(indexMigrationProgress(soaking, [verified('acme', true)], context)).toMatchObject({
      fraction: 0.5,
      running: false,
      next: { command: 'headroom search migrate complete', note: 'after the soak', at: '2026-11-26T14:05:00.000Z' },
    });
  });

  it('shows no percentage once the migration ended, and names what to run', () => {
    expect(indexMigrationProgress(migration('cancelled'), [], context)).toMatchObject({
      fraction: null,
      running: false,
      next: { command: 'headroom search migrate start --to g3', note: 'to try again' },
    });
    expect(indexMigrationProgress(migration('completed'), [], context)).toMatchObject({
      fraction: null,
      running: false,
      next: { command: 'headroom search generations' },
    });
  });
});
