// Operator actions on tenant moves. A tenant has at most one unfinished move; `cancel` is allowed only before any
// write went to the target (before cutover), `reverse` and `complete` only after it; `complete` (which deletes the
// old copy) waits until no instance can still hold a cached route to the old shard. Each command changes the
// migration record with a version check, so it is never lost to a runner step computed from an older copy.
import { Problem } from '../problems.js';
import { advance, isTerminal, newMigration, type MigrationRecord } from '../migrations/migration-runner.js';
import type { Clock, ControlStore, MigrationStore } from '../ports.js';
import { refuseMove, shardKind, type ShardTopology } from '../tenancy/shard-topology.js';
import type { MigrationProgress } from '../migrations/migration-progress.js';
import { completableAt, moveProgress, type MoveProgressContext } from './move-progress.js';
import { initialMoveParams, startCleanup, type TenantMoveParams } from './tenant-move.js';
import type { ShardName, TenantId } from '../tenancy/tenancy.js';

/** Per-shard figures that come from outside the control table (DynamoDB's item count, consumed write units). */
export interface ShardStats {
  stats(shard: ShardName): Promise<{ readonly items: number | null; readonly writesPerSecond: number | null }>;
}

export interface MoveAdminDeps {
  readonly migrations: MigrationStore;
  readonly control: Pick<ControlStore, 'getTenant' | 'countTenantsByShard'>;
  readonly topology: ShardTopology;
  readonly clock: Clock;
  /** Starts (or wakes) the migration runner for a migration: the Step Functions loop on AWS, the local loop. */
  readonly startRunner: (migrationId: string) => Promise<void>;
  readonly shardStats: ShardStats;
  /** How long instances may serve a cached tenant route; `complete` waits this long after the flip. */
  readonly directoryCacheSeconds: number;
}

export interface MoveView {
  readonly id: string;
  readonly tenantId: string;
  readonly from: string;
  readonly to: string;
  readonly phase: string;
  /** How far the current phase is, and what the operator runs next (move-progress.ts). */
  readonly progress: MigrationProgress;
  /** Items the backfill wrote to the target. */
  readonly copied: number;
  readonly verify: TenantMoveParams['verify']['report'] & { readonly pass: number; readonly recheck: number };
  readonly lagMs: number | null;
  readonly fenceMs: number | null;
  readonly cutoverAttempts: number;
  readonly cleanedUp: number;
  readonly phaseTimestamps: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastError: string | null;
}

export function toMoveView(record: MigrationRecord<TenantMoveParams>, context: MoveProgressContext): MoveView {
  const p = record.params;
  return {
    id: record.id,
    tenantId: p.tenantId,
    from: p.from,
    to: p.to,
    phase: record.phase,
    progress: moveProgress(record, context),
    copied: p.backfill.copied,
    verify: { ...p.verify.report, pass: p.verify.pass, recheck: p.verify.recheck.length },
    lagMs: p.lagMs ?? null,
    fenceMs: p.cutover.fenceMs ?? null,
    cutoverAttempts: p.cutover.attempts,
    cleanedUp: p.cleanup?.deleted ?? 0,
    phaseTimestamps: record.phaseTimestamps,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    lastError: record.lastError ?? null,
  };
}

const CANCELLABLE: readonly string[] = ['copying', 'verifying', 'catching-up'];

export function moveAdmin(deps: MoveAdminDeps) {
  const view = (record: MigrationRecord<TenantMoveParams>) =>
    toMoveView(record, { now: deps.clock.now(), directoryCacheSeconds: deps.directoryCacheSeconds });
  const moves = async () => (await deps.migrations.list('tenant-move')) as unknown as MigrationRecord<TenantMoveParams>[];
  const latestOf = async (tenantId: TenantId) =>
    (await moves()).filter((record) => record.params.tenantId === tenantId).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];

  async function current(tenantId: TenantId): Promise<MigrationRecord<TenantMoveParams>> {
    const record = await latestOf(tenantId);
    if (!record)
      throw new Problem('not-found', `Tenant ${tenantId} has no move. Start one with \`headroom tenants move ${tenantId} --to <shard>\`.`);
    return record;
  }

  /** Moves the record to `phase` with the operator's version check, then wakes the runner. */
  async function command(
    tenantId: TenantId,
    allowed: readonly string[],
    refusal: (phase: string) => string,
    next: (record: MigrationRecord<TenantMoveParams>) => { phase: string; params: TenantMoveParams },
    check?: (record: MigrationRecord<TenantMoveParams>) => void,
  ): Promise<MoveView> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await current(tenantId);
      if (!allowed.includes(record.phase)) throw new Problem('conflict', refusal(record.phase));
      check?.(record);
      const updated = advance(record, next(record), deps.clock.now());
      if (await deps.migrations.save(updated, record.version)) {
        await deps.startRunner(record.id);
        return view(updated);
      }
    }
    throw new Problem('conflict', `The move of ${tenantId} kept changing while the command was applied. Run it again.`);
  }

  return {
    async start(tenantId: TenantId, target: ShardName): Promise<MoveView> {
      const profile = await deps.control.getTenant(tenantId);
      const active = (await moves()).find((record) => record.params.tenantId === tenantId && !isTerminal(record.phase));
      const refusal = refuseMove(deps.topology, { tenantId, profile, target, ...(active ? { activeMove: active.id } : {}) });
      if (refusal || !profile) {
        const slug =
          refusal?.reason === 'unknown-tenant' ? 'not-found' : refusal?.reason === 'already-moving' ? 'conflict' : 'validation-failed';
        throw new Problem(slug, refusal?.detail ?? `Tenant ${tenantId} does not exist.`, {
          reason: refusal?.reason,
          ...(slug === 'validation-failed' ? { errors: [{ path: 'to', message: refusal?.reason ?? 'invalid' }] } : {}),
        });
      }
      const now = deps.clock.now();
      const id = `move-${tenantId}-${now.getTime().toString(36)}`;
      const record = newMigration(id, 'tenant-move', 'copying', initialMoveParams(tenantId, profile.shard, target, profile.epoch), now);
      if (!(await deps.migrations.create(record)))
        throw new Problem('conflict', `A move of ${tenantId} was started at the same moment. Check \`headroom moves status ${tenantId}\`.`);
      await deps.startRunner(id);
      return view(record);
    },

    async list(): Promise<MoveView[]> {
      return (await moves()).sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map(view);
    },

    async show(tenantId: TenantId): Promise<MoveView> {
      return view(await current(tenantId));
    },

    cancel: (tenantId: TenantId) =>
      command(
        tenantId,
        CANCELLABLE,
        (phase) =>
          phase === 'soaking' || phase === 'cutting-over'
            ? `The move of ${tenantId} is ${phase}: writes may already be on the new shard. Use \`headroom moves reverse ${tenantId}\` instead.`
            : `The move of ${tenantId} is ${phase} and cannot be cancelled.`,
        (record) => ({
          phase: 'cleaning-up',
          params: { ...record.params, cleanup: startCleanup(record.params.to, 'cancelled') },
        }),
      ),

    reverse: (tenantId: TenantId) =>
      command(
        tenantId,
        ['soaking'],
        (phase) =>
          CANCELLABLE.includes(phase)
            ? `The move of ${tenantId} has not cut over yet (${phase}). Use \`headroom moves cancel ${tenantId}\` instead.`
            : `The move of ${tenantId} is ${phase}; only a move that is soaking can be reversed.`,
        (record) => ({ phase: 'reversing', params: record.params }),
      ),

    complete: (tenantId: TenantId) =>
      command(
        tenantId,
        ['soaking'],
        (phase) => `The move of ${tenantId} is ${phase}; only a move that is soaking can be completed.`,
        (record) => ({
          phase: 'cleaning-up',
          params: { ...record.params, cleanup: startCleanup(record.params.from, 'completed') },
        }),
        (record) => {
          const safeAt = completableAt(record, deps.directoryCacheSeconds);
          const wait = Math.ceil((safeAt.getTime() - deps.clock.now().getTime()) / 1000);
          if (wait > 0) {
            throw new Problem(
              'conflict',
              `Instances may still read ${tenantId} from ${record.params.from} for ${wait} s (directory cache). Complete after that, at ${safeAt.toISOString()}.`,
              { retryAfterSeconds: wait },
            );
          }
        },
      ),

    async shards() {
      const [byShard, all] = await Promise.all([deps.control.countTenantsByShard(), moves()]);
      const moving = all.filter((record) => !isTerminal(record.phase));
      return Promise.all(
        deps.topology.map(async (shard) => {
          const stats = await deps.shardStats.stats(shard.name);
          return {
            name: shard.name,
            kind: shardKind(shard),
            dedicatedTo: shard.dedicatedTo ?? null,
            tenants: byShard[shard.name] ?? 0,
            items: stats.items,
            writesPerSecond: stats.writesPerSecond,
            moving: moving
              .filter((record) => record.params.from === shard.name || record.params.to === shard.name)
              .map((record) => record.params.tenantId),
          };
        }),
      );
    },
  };
}

export type MoveAdmin = ReturnType<typeof moveAdmin>;
