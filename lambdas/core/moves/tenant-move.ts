// The tenant-move playbook (DESIGN.md §5): copy a tenant to another shard while it keeps writing, then hand it
// over with a write fence measured in milliseconds. A move carries everything the tenant owns (TENANT_ITEM_KINDS:
// its idempotency keys and summaries too, or a retry after the move would be a second write). Invariants: the
// target only ever receives version-guarded writes; the directory flips (epoch + 1) only after a barrier proved every change committed on the source before
// the fence has been applied to the target; the old copy is kept in sync (reverse replication) and deleted only
// at `complete`. Every step is idempotent, so the runner may be killed anywhere and simply run it again.
import { setTimeout as delay } from 'node:timers/promises';
import type { TenantMoveSettings } from './tenant-move-settings.js';
import type { MigrationRecord, Playbook, StepResult } from '../migrations/migration-runner.js';
import {
  ARM_DELAY_MS,
  itemKeyOf,
  keyString,
  type BarrierLog,
  type ItemKey,
  type ReplicationRoute,
  type ShardItemStore,
} from './move-replication.js';
import type { PlacementMarkers } from '../tenancy/placement-fence.js';
import type { Clock, ControlStore } from '../ports.js';
import { diffSourcePage, diffTargetPage, emptyDiff, recheckInFence, type DiffReport } from './shard-diff.js';
import { countKinds, type ItemCounts, type TenantItemSource } from '../tenancy/tenant-items.js';
import type { ShardName, TenantId } from '../tenancy/tenancy.js';

export type MovePhase =
  | 'copying'
  | 'verifying'
  | 'catching-up'
  | 'cutting-over'
  | 'soaking'
  | 'reversing'
  | 'cleaning-up'
  | 'completed'
  | 'cancelled'
  | 'reversed';

export interface TenantMoveParams {
  readonly tenantId: TenantId;
  readonly from: ShardName;
  readonly to: ShardName;
  /** The tenant's epoch when the move started: the flip makes it epoch + 1, a reverse epoch + 2. */
  readonly epoch: number;
  readonly backfill: {
    readonly cursor?: string;
    readonly done: boolean;
    /** Items the backfill wrote to the target. */
    readonly copied: number;
    /** Items the backfill read that the target already had (same or newer version, through catch-up). */
    readonly stale: number;
    /** Items the backfill read (`copied + stale`), per kind. */
    readonly byKind: ItemCounts;
    /**
     * The tenant's conversations and comments on the source when the copy began: the total the copy's progress in
     * those kinds is measured against (no cheap count of the other kinds exists).
     */
    readonly estimated?: number;
  };
  readonly verify: {
    readonly side: 'source' | 'target';
    readonly cursor?: string;
    readonly pass: number;
    readonly report: DiffReport;
    /** Items read on the target in the scan for extras (`report.processed` counts the source side). */
    readonly targetRead: number;
    /** `pk\0sk` of the keys to compare again inside the fence. */
    readonly recheck: string[];
    readonly recheckOverflow: boolean;
  };
  /** Last measured barrier round trip through the replicator (the catch-up lag). */
  readonly lagMs?: number;
  readonly cutover: {
    readonly attempts: number;
    readonly fenceMs?: number;
    readonly flippedAt?: string;
    readonly repaired?: number;
    readonly lastAbort?: string;
  };
  readonly reverse?: { readonly fenceMs?: number; readonly attempts: number };
  readonly cleanup?: {
    readonly shard: ShardName;
    readonly cursor?: string;
    readonly deleted: number;
    /** `deleted`, per kind. */
    readonly byKind: ItemCounts;
    /** The tenant's conversations and comments on `shard` when the cleanup began (see `backfill.estimated`). */
    readonly estimated?: number;
    readonly then: 'completed' | 'cancelled' | 'reversed';
  };
}

type Cleanup = NonNullable<TenantMoveParams['cleanup']>;

/** A cleanup of the tenant's copy on `shard` that ends the move as `then`, before its first page. */
export const startCleanup = (shard: ShardName, then: Cleanup['then']): Cleanup => ({ shard, deleted: 0, byKind: {}, then });

/** The directory flip: shard and epoch change together, only from the expected epoch and shard. */
export interface TenantPlacement {
  flip(tenantId: string, from: ShardName, expectedEpoch: number, to: ShardName): Promise<boolean>;
}

export interface MoveShard {
  readonly items: ShardItemStore;
  readonly markers: PlacementMarkers;
  readonly enumerate: TenantItemSource;
}

export interface TenantMoveDeps {
  readonly control: Pick<ControlStore, 'getTenant'>;
  readonly placement: TenantPlacement;
  readonly shard: (name: ShardName) => MoveShard;
  readonly barriers: BarrierLog;
  readonly clock: Clock;
  readonly settings: TenantMoveSettings;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Keys kept for the in-fence re-check; past this the verify pass runs again once catch-up has settled. */
const MAX_RECHECK = 5000;
const PAGE = 500;
const PARALLEL_COPIES = 16;
/** A barrier outside the fence (the catch-up gate) may take this long before it counts as "lagging". */
const GATE_BARRIER_TIMEOUT_MS = 10_000;

export function initialMoveParams(tenantId: TenantId, from: ShardName, to: ShardName, epoch: number): TenantMoveParams {
  return {
    tenantId,
    from,
    to,
    epoch,
    backfill: { done: false, copied: 0, stale: 0, byKind: {} },
    verify: { side: 'source', pass: 1, report: emptyDiff(), targetRead: 0, recheck: [], recheckOverflow: false },
    cutover: { attempts: 0 },
  };
}

/** Which replication directions a move needs in `phase` (the replicators read this through the migration store). */
export function replicationRoutes(record: MigrationRecord<TenantMoveParams>): ReplicationRoute[] {
  const { tenantId, from, to } = record.params;
  const forward = { moveId: record.id, tenantId, from, to };
  const backward = { moveId: record.id, tenantId, from: to, to: from };
  switch (record.phase as MovePhase) {
    case 'copying':
    case 'verifying':
    case 'catching-up':
      return [forward];
    // Both ways while the fence drains: forward finishes the catch-up, backward is armed before the first write on
    // the target. The version guard stops the echo (an equal version is never written again).
    case 'cutting-over':
      return [forward, backward];
    case 'soaking':
    case 'reversing':
      return [backward];
    default:
      return [];
  }
}

const toKey = (text: string): ItemKey => {
  const [pk, sk] = text.split('\u0000') as [string, string];
  return { pk, sk };
};

export function tenantMovePlaybook(deps: TenantMoveDeps): Playbook<TenantMoveParams> {
  const sleep = deps.sleep ?? delay;
  const now = () => deps.clock.now().getTime();
  let roundCounter = 0;

  /** Waits until `ms` have passed since `since` (an ISO time), so replicators' cached views have caught up. */
  async function settle(since: string | undefined): Promise<void> {
    const remaining = (since ? Date.parse(since) : 0) + ARM_DELAY_MS - now();
    if (remaining > 0) await sleep(remaining);
  }

  /**
   * Writes a round of beacons on `shard` and waits until the replicator has read past all of them, i.e. applied
   * every change committed on `shard` before them. Returns the round trip in ms, or undefined on timeout.
   */
  async function barrier(moveId: string, shard: ShardName, timeoutMs: number): Promise<number | undefined> {
    // Unique per attempt without being saved: a re-run after a crash must not count an older round's beacons.
    const round = now() * 1000 + (roundCounter++ % 1000);
    const started = now();
    const beacons = deps.settings.barrierBeacons;
    await deps.shard(shard).items.writeBeacons(moveId, round, beacons);
    for (let pause = 5; ; pause = Math.min(pause * 2, 50)) {
      if ((await deps.barriers.seen(moveId, round)).size >= beacons) return now() - started;
      if (now() - started > timeoutMs) return undefined;
      await sleep(pause);
    }
  }

  /** Copies one page, paced to the configured rate so the target's capacity is shared with its own tenants. */
  async function paced<T>(items: number, work: () => Promise<T>): Promise<T> {
    const started = now();
    const result = await work();
    const minimumMs = (items / deps.settings.backfillItemsPerSecond) * 1000;
    const elapsed = now() - started;
    if (elapsed < minimumMs) await sleep(minimumMs - elapsed);
    return result;
  }

  const pageSize = () => Math.max(1, Math.min(PAGE, deps.settings.backfillItemsPerSecond));

  async function copying(record: MigrationRecord<TenantMoveParams>): Promise<StepResult<TenantMoveParams>> {
    const p = record.params;
    // First the total the copy's progress is measured against, saved before the first page is copied.
    if (p.backfill.estimated === undefined) {
      const estimated = await deps.shard(p.from).enumerate.estimate(p.tenantId);
      return { phase: 'copying', params: { ...p, backfill: { ...p.backfill, estimated } } };
    }
    // Replicators learn of the move within their cache time; the backfill starts only after that, so every change
    // is either read by the backfill or replicated (usually both: the version guard keeps the newer).
    await settle(record.createdAt);
    const page = await deps.shard(p.from).enumerate.page(p.tenantId, p.backfill.cursor, pageSize());
    const target = deps.shard(p.to).items;
    const outcomes = await paced(page.items.length, async () => {
      const results: boolean[] = [];
      for (let i = 0; i < page.items.length; i += PARALLEL_COPIES) {
        results.push(...(await Promise.all(page.items.slice(i, i + PARALLEL_COPIES).map((item) => target.putIfNewer(item)))));
      }
      return results;
    });
    const written = outcomes.filter(Boolean).length;
    const backfill = {
      ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
      done: page.cursor === undefined,
      copied: p.backfill.copied + written,
      stale: p.backfill.stale + outcomes.length - written,
      byKind: countKinds(p.backfill.byKind, page.items),
      estimated: p.backfill.estimated,
    };
    return { phase: backfill.done ? 'verifying' : 'copying', params: { ...p, backfill } };
  }

  async function verifying(record: MigrationRecord<TenantMoveParams>): Promise<StepResult<TenantMoveParams>> {
    const p = record.params;
    const source = deps.shard(p.from);
    const target = deps.shard(p.to);
    const v = p.verify;
    if (v.side === 'source') {
      const page = await source.enumerate.page(p.tenantId, v.cursor, pageSize());
      const diff = await paced(page.items.length, () => diffSourcePage(page.items, source.items, target.items, v.report, deps.clock.now()));
      const recheck = [...new Set([...v.recheck, ...diff.recheck.map(keyString)])];
      const verify = {
        ...v,
        report: diff.report,
        recheck: recheck.slice(0, MAX_RECHECK),
        recheckOverflow: v.recheckOverflow || recheck.length > MAX_RECHECK,
        ...(page.cursor === undefined ? { side: 'target' as const, cursor: undefined } : { cursor: page.cursor }),
      };
      return { phase: 'verifying', params: { ...p, verify: stripUndefined(verify) } };
    }
    const page = await target.enumerate.page(p.tenantId, v.cursor, pageSize());
    const report = await paced(page.items.length, () => diffTargetPage(page.items, source.items, v.report, deps.clock.now()));
    const targetRead = v.targetRead + page.items.length;
    if (page.cursor !== undefined)
      return { phase: 'verifying', params: { ...p, verify: { ...v, report, targetRead, cursor: page.cursor } } };
    const finished = stripUndefined({ ...v, report, targetRead, cursor: undefined });
    if (report.extra > 0) {
      // Nothing but this move writes the tenant's keys on the target: an extra item means someone else does.
      throw new Error(
        `verify found ${report.extra} item(s) on ${p.to} that ${p.from} does not have (e.g. ${report.samples.extra.join(', ')}); cancel the move and investigate`,
      );
    }
    if (finished.recheckOverflow) {
      // Too many keys were still settling to re-check inside a short fence: let catch-up work, then scan again.
      return {
        phase: 'verifying',
        params: {
          ...p,
          verify: { side: 'source', pass: v.pass + 1, report: emptyDiff(), targetRead: 0, recheck: [], recheckOverflow: false },
        },
        waitSeconds: 5,
      };
    }
    return { phase: 'catching-up', params: { ...p, verify: finished } };
  }

  async function catchingUp(record: MigrationRecord<TenantMoveParams>): Promise<StepResult<TenantMoveParams>> {
    const p = record.params;
    const lag = await barrier(record.id, p.from, GATE_BARRIER_TIMEOUT_MS);
    const lagMs = lag ?? GATE_BARRIER_TIMEOUT_MS;
    if (lag !== undefined && lag <= deps.settings.catchUpLagMs) return { phase: 'cutting-over', params: { ...p, lagMs } };
    return { phase: 'catching-up', params: { ...p, lagMs }, waitSeconds: 1 };
  }

  /**
   * Fence `from`, prove the catch-up complete, re-check the settling keys, activate `to` at `epoch + 1`, flip the
   * directory, retire `from`. Undefined when the fence could not drain in time (it is lifted again).
   */
  async function handOver(
    moveId: string,
    tenantId: TenantId,
    from: ShardName,
    to: ShardName,
    epoch: number,
    recheck: readonly ItemKey[],
  ): Promise<{ fenceMs: number; repaired: number } | undefined> {
    const source = deps.shard(from);
    const target = deps.shard(to);
    const profile = await deps.control.getTenant(tenantId);
    if (profile?.shard === to && profile.epoch === epoch + 1) {
      // A previous run flipped and was killed before saving: finish its last steps.
      await target.markers.activate(tenantId, epoch + 1);
      await source.markers.retire(tenantId, epoch);
      return { fenceMs: 0, repaired: 0 };
    }
    if (profile?.shard !== from || profile.epoch !== epoch) {
      throw new Error(
        `tenant ${tenantId} is no longer at ${from} epoch ${epoch} (now ${profile?.shard} epoch ${profile?.epoch}); the move cannot flip it`,
      );
    }
    const fencedAt = now();
    if (!(await source.markers.fence(tenantId, epoch))) {
      throw new Error(`the placement markers of ${tenantId} on ${from} are not at epoch ${epoch}; refusing to fence`);
    }
    const drained = await barrier(moveId, from, deps.settings.cutoverTimeoutMs);
    if (drained === undefined) {
      await source.markers.unfence(tenantId, epoch);
      return undefined;
    }
    const checked = await recheckInFence(recheck, source.items, target.items, deps.clock.now());
    if (checked.conflicting > 0) {
      await source.markers.unfence(tenantId, epoch);
      throw new Error(`${checked.conflicting} item(s) of ${tenantId} are newer on ${to} than on the fenced ${from}; cutover refused`);
    }
    await target.markers.activate(tenantId, epoch + 1);
    if (!(await deps.placement.flip(tenantId, from, epoch, to))) {
      await source.markers.unfence(tenantId, epoch);
      throw new Error(`the directory entry of ${tenantId} changed during the cutover; the fence was lifted`);
    }
    await source.markers.retire(tenantId, epoch);
    return { fenceMs: now() - fencedAt, repaired: checked.repaired };
  }

  async function cuttingOver(record: MigrationRecord<TenantMoveParams>): Promise<StepResult<TenantMoveParams>> {
    const p = record.params;
    // Reverse replication must be armed before the first write can reach the target.
    await settle(record.phaseTimestamps['cutting-over']);
    const result = await handOver(record.id, p.tenantId, p.from, p.to, p.epoch, p.verify.recheck.map(toKey));
    const attempts = p.cutover.attempts + 1;
    if (!result) {
      const cutover = { ...p.cutover, attempts, lastAbort: `fence lifted after ${deps.settings.cutoverTimeoutMs} ms without catching up` };
      return { phase: 'catching-up', params: { ...p, cutover }, waitSeconds: 2 };
    }
    const cutover = {
      ...p.cutover,
      attempts,
      fenceMs: result.fenceMs,
      repaired: result.repaired,
      flippedAt: deps.clock.now().toISOString(),
    };
    return { phase: 'soaking', params: { ...p, cutover } };
  }

  async function reversing(record: MigrationRecord<TenantMoveParams>): Promise<StepResult<TenantMoveParams>> {
    const p = record.params;
    await settle(record.phaseTimestamps.reversing);
    const attempts = (p.reverse?.attempts ?? 0) + 1;
    const result = await handOver(record.id, p.tenantId, p.to, p.from, p.epoch + 1, []);
    if (!result) return { phase: 'reversing', params: { ...p, reverse: { ...p.reverse, attempts } }, waitSeconds: 2 };
    return {
      phase: 'cleaning-up',
      params: { ...p, reverse: { attempts, fenceMs: result.fenceMs }, cleanup: startCleanup(p.to, 'reversed') },
    };
  }

  async function cleaningUp(record: MigrationRecord<TenantMoveParams>): Promise<StepResult<TenantMoveParams>> {
    const p = record.params;
    const cleanup = p.cleanup;
    if (!cleanup) throw new Error(`move ${record.id} is cleaning up but names no shard to clean`);
    const shard = deps.shard(cleanup.shard);
    if (cleanup.estimated === undefined) {
      const estimated = await shard.enumerate.estimate(p.tenantId);
      return { phase: 'cleaning-up', params: { ...p, cleanup: { ...cleanup, estimated } } };
    }
    // Replicators must have stopped writing the copy being deleted.
    await settle(record.phaseTimestamps['cleaning-up']);
    const page = await shard.enumerate.page(p.tenantId, cleanup.cursor, pageSize());
    await paced(page.items.length, () => shard.items.deleteMany(page.items.map(itemKeyOf)));
    const next = stripUndefined({
      ...cleanup,
      cursor: page.cursor,
      deleted: cleanup.deleted + page.items.length,
      byKind: countKinds(cleanup.byKind, page.items),
    });
    return { phase: page.cursor === undefined ? cleanup.then : 'cleaning-up', params: { ...p, cleanup: next } };
  }

  return {
    kind: 'tenant-move',
    async step(record) {
      switch (record.phase as MovePhase) {
        case 'copying':
          return copying(record);
        case 'verifying':
          return verifying(record);
        case 'catching-up':
          return catchingUp(record);
        case 'cutting-over':
          return cuttingOver(record);
        case 'soaking':
          // Reverse replication keeps the old copy current; an operator decides: `complete` or `reverse`.
          return { phase: 'soaking', params: record.params, waitSeconds: 60 };
        case 'reversing':
          return reversing(record);
        case 'cleaning-up':
          return cleaningUp(record);
        default:
          return { phase: record.phase, params: record.params };
      }
    },
  };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}
