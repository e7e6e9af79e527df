// Operator commands on moves: each is allowed only in the phases where it is safe, says what to do instead
// otherwise, and `complete` (which deletes the old copy) waits out every instance's cached route.
import { describe, expect, it } from 'vitest';
import { MemoryControlStore } from '../../../../lambdas/adapters/memory/memory-control-store.js';
import { MemoryMigrationStore } from '../../../../lambdas/adapters/memory/memory-migration-store.js';
import { advance, type MigrationRecord } from '../../../../lambdas/core/migrations/migration-runner.js';
import { moveAdmin } from '../../../../lambdas/core/moves/move-admin.js';
import type { TenantMoveParams } from '../../../../lambdas/core/moves/tenant-move.js';
import type { TenantId } from '../../../../lambdas/core/tenancy/tenancy.js';
import { Problem } from '../../../../lambdas/core/problems.js';

async function setup() {
  let now = new Date('2026-11-26T12:00:00.000Z');
  const clock = { now: () => now };
  const migrations = new MemoryMigrationStore();
  const control = new MemoryControlStore();
  await control.createTenant({
    tenantId: 'acme' as TenantId,
    shard: 'shard-0',
    epoch: 1,
    group: 'acme',
    tier: 'standard',
    status: 'active',
    createdAt: now.toISOString(),
    tokenHash: 'h',
    usageKey: 'k',
  });
  const woken: string[] = [];
  const admin = moveAdmin({
    migrations,
    control,
    topology: [
      { name: 'shard-0', table: 't0' },
      { name: 'shard-1', table: 't1' },
    ],
    clock,
    startRunner: async (id) => {
      woken.push(id);
    },
    shardStats: { stats: async () => ({ items: null, writesPerSecond: null }) },
    directoryCacheSeconds: 30,
  });
  /** Puts the move into `phase` as the runner would. */
  const phase = async (next: string, params: Partial<TenantMoveParams> = {}) => {
    const [record] = (await migrations.list('tenant-move')) as unknown as MigrationRecord<TenantMoveParams>[];
    await migrations.save(advance(record!, { phase: next, params: { ...record!.params, ...params } }, now), record!.version);
  };
  return { admin, woken, phase, tick: (seconds: number) => (now = new Date(now.getTime() + seconds * 1000)) };
}

const acme = 'acme' as TenantId;
const problem = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as Problem,
  );

describe('move admin', () => {
  it('starts a move, wakes the runner, and refuses a second one while it runs', async () => {
    const { admin, woken } = await setup();
    const move = await admin.start(acme, 'shard-1');
    expect(move).toMatchObject({
      tenantId: 'acme',
      from: 'shard-0',
      to: 'shard-1',
      phase: 'copying',
      progress: { fraction: null, running: true, next: { command: 'headroom moves status acme --watch' } },
    });
    expect(woken).toEqual([move.id]);
    expect(await problem(admin.start(acme, 'shard-1'))).toMatchObject({ status: 409, extensions: { reason: 'already-moving' } });
  });

  it('cancels only before the cutover and reverses only after it, naming the other command', async () => {
    const { admin, phase } = await setup();
    await admin.start(acme, 'shard-1');
    expect((await problem(admin.reverse(acme)))?.detail).toMatch(/moves cancel acme/);
    await phase('soaking', { cutover: { attempts: 1, flippedAt: '2026-11-26T12:00:00.000Z' } });
    expect((await problem(admin.cancel(acme)))?.detail).toMatch(/moves reverse acme/);
    expect(await admin.reverse(acme)).toMatchObject({ phase: 'reversing' });
  });

  it('completes only once twice the directory cache time has passed since the flip', async () => {
    const { admin, phase, tick } = await setup();
    await admin.start(acme, 'shard-1');
    await phase('soaking', { cutover: { attempts: 1, flippedAt: '2026-11-26T12:00:00.000Z' } });
    tick(20);
    expect((await admin.show(acme)).progress).toMatchObject({
      running: false,
      next: { command: 'headroom moves complete acme', note: 'after the soak', at: '2026-11-26T12:01:00.000Z' },
    });
    const early = await problem(admin.complete(acme));
    expect(early).toMatchObject({ status: 409, extensions: { retryAfterSeconds: 40 } });
    expect(early?.detail).toMatch(/at 2026-11-26T12:01:00.000Z/);
    tick(40);
    expect((await admin.show(acme)).progress.next).toEqual({ command: 'headroom moves complete acme' });
    const completing = await admin.complete(acme);
    expect(completing).toMatchObject({ phase: 'cleaning-up' });
    expect(await problem(admin.complete(acme))).toBeInstanceOf(Problem);
  });

  it('answers 404 for a tenant without a move', async () => {
    const { admin } = await setup();
    expect(await problem(admin.show(acme))).toMatchObject({ status: 404 });
  });
});
