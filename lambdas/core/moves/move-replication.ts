// Stream-driven catch-up for tenant moves: every committed change of a moving tenant on the replicating shard is
// applied to the other shard item by item, version-guarded (`attribute_not_exists(pk) OR v < :v`, or the kind's
// own version, see itemVersion), so duplicate and out-of-order deliveries, and races with the backfill, can never
// replace a newer copy with an older one.
// Barrier beacons seen in the stream are logged only once every change before them has been applied: that is
// what lets a cutover prove the target has caught up with the source.
import { parseShardPartition } from '../../schema.js';
import type { ChangeRecord } from '../jobs/change-capture.js';
import { tenantItemKind, type ShardItem } from '../tenancy/tenant-items.js';
import type { ShardName, TenantId } from '../tenancy/tenancy.js';

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export const itemKeyOf = (item: ShardItem | ItemKey): ItemKey => ({ pk: item.pk as string, sk: item.sk as string });
export const keyString = (key: ItemKey): string => `${key.pk}\u0000${key.sk}`;

/** The attribute that orders two copies of one item, and this copy's value of it (0 when it has none). */
export interface ItemVersion {
  readonly attribute: 'v' | 'coveredVersion' | 'expiresAt';
  readonly value: number;
}

/**
 * What orders two copies of one item, by kind. Content carries its version `v` (+1 per change). A summary carries
 * the conversation version it covers, the order its own store already guards on. An idempotency key carries no
 * version: it is written once, with the response it replays, and never changed, but the same key is claimed again
 * once it expired, so write-if-absent would let a stale copy of the old claim block (or wrongly replay) the new one.
 * Its expiry (epoch seconds) orders the claims instead: a new claim is made only after the old expiry passed, so it
 * always expires later, whatever the TTL setting. The copy keeps `expiresAt` as it is, so the key's remaining TTL
 * on the other shard is the same, to the second.
 */
export function itemVersion(item: ShardItem): ItemVersion {
  const kind = tenantItemKind(item);
  const attribute = kind === 'summary' ? 'coveredVersion' : kind === 'idempotency' ? 'expiresAt' : 'v';
  const value = item[attribute];
  return { attribute, value: typeof value === 'number' ? value : 0 };
}

/** One shard table, as moves read and write it (raw items, all attributes). */
export interface ShardItemStore {
  /**
   * Writes `item` unless the shard already holds the same or a newer version of it (`itemVersion`). True when
   * written.
   */
  putIfNewer(item: ShardItem): Promise<boolean>;
  /** Strongly consistent reads; absent keys are missing from the map (keyed by `keyString`). */
  getMany(keys: readonly ItemKey[]): Promise<Map<string, ShardItem>>;
  deleteMany(keys: readonly ItemKey[]): Promise<void>;
  /** Writes `count` beacon items for barrier `round` of `moveId` (they expire by TTL). */
  writeBeacons(moveId: string, round: number, count: number): Promise<void>;
}

/** Where the replicators record which barrier beacons they have read past. */
export interface BarrierLog {
  record(moveId: string, round: number, beacons: readonly number[]): Promise<void>;
  seen(moveId: string, round: number): Promise<Set<number>>;
}

/** A replication direction of one move: changes of `tenantId` committed on `from` are applied to `to`. */
export interface ReplicationRoute {
  readonly moveId: string;
  readonly tenantId: TenantId;
  readonly from: ShardName;
  readonly to: ShardName;
}

export interface ReplicationDeps {
  /** The directions currently active, from the migration store (cached for at most `ROUTE_CACHE_MS`). */
  readonly routes: () => Promise<readonly ReplicationRoute[]>;
  readonly shard: (name: ShardName) => ShardItemStore;
  readonly barriers: BarrierLog;
  /** Items applied at once (different keys); changes to one key are always applied in stream order. */
  readonly concurrency?: number;
}

export interface ReplicationResult {
  /** The first change that could not be applied; the stream redelivers from it (later ones again too: harmless). */
  readonly failedSequenceNumbers: string[];
  readonly applied: number;
  /** Changes of moving tenants that the target already had (same or newer version). */
  readonly stale: number;
  readonly beacons: number;
}

/**
 * How long a replicator may act on a cached view of the active moves. A move waits twice this long after every
 * phase change that alters replication before relying on it (arming before the backfill, reverse replication
 * before the flip, silence before cleanup).
 */
export const ROUTE_CACHE_MS = 1000;
export const ARM_DELAY_MS = 2 * ROUTE_CACHE_MS;

type Action =
  | { readonly kind: 'apply'; readonly index: number; readonly to: ShardName; readonly item: ShardItem }
  | { readonly kind: 'beacon'; readonly index: number; readonly moveId: string; readonly round: number; readonly n: number };

/** Changes committed on shard `from`, in stream order, applied wherever a move replicates that shard's tenant. */
export async function replicateChanges(
  from: ShardName,
  records: readonly ChangeRecord[],
  deps: ReplicationDeps,
): Promise<ReplicationResult> {
  const routes = (await deps.routes()).filter((route) => route.from === from);
  const actions: Action[] = [];
  records.forEach((record, index) => {
    const image = record.newImage;
    const pk = (image ?? record.oldImage)?.pk as string | undefined;
    if (!pk) return;
    const partition = parseShardPartition(pk);
    if (partition?.kind === 'beacon') {
      const { moveId, round, n } = partition;
      if (record.eventName === 'INSERT' || record.eventName === 'MODIFY') actions.push({ kind: 'beacon', index, moveId, round, n });
      return;
    }
    // Nothing the tenant owns is physically removed by the API (deletes are tombstones, summaries are replaced): a
    // REMOVE is a TTL expiry or a move's cleanup, neither of which may be copied. Only idempotency keys expire; their
    // copy carries the same `expiresAt`, so it expires on the other shard at the same instant, and an expired key is
    // as good as absent whether or not TTL has deleted it yet (a new claim overwrites it, the verify skips it).
    // Placement markers are per shard (they say where the tenant is) and are never copied between shards.
    if (record.eventName === 'REMOVE' || !image || partition?.kind !== 'tenant' || partition.placement || !tenantItemKind(image)) return;
    for (const route of routes) {
      if (route.tenantId === partition.tenantId) actions.push({ kind: 'apply', index, to: route.to, item: image });
    }
  });

  let applied = 0;
  let stale = 0;
  let firstFailure = Number.POSITIVE_INFINITY;
  // Changes to one item stay in order; different items go in parallel.
  const lanes = new Map<string, Extract<Action, { kind: 'apply' }>[]>();
  for (const action of actions) {
    if (action.kind !== 'apply') continue;
    const lane = `${action.to}\u0000${keyString(itemKeyOf(action.item))}`;
    lanes.set(lane, [...(lanes.get(lane) ?? []), action]);
  }
  const queue = [...lanes.values()];
  const worker = async () => {
    for (let lane = queue.shift(); lane; lane = queue.shift()) {
      for (const action of lane) {
        if (action.index > firstFailure) break;
        try {
          if (await deps.shard(action.to).putIfNewer(action.item)) applied++;
          else stale++;
        } catch {
          firstFailure = Math.min(firstFailure, action.index);
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency ?? 16, Math.max(1, queue.length)) }, worker));

  // A beacon proves progress only if everything before it in the stream was applied.
  const beacons = new Map<string, { moveId: string; round: number; numbers: number[] }>();
  for (const action of actions) {
    if (action.kind !== 'beacon' || action.index >= firstFailure) continue;
    const key = `${action.moveId}\u0000${action.round}`;
    const entry = beacons.get(key) ?? { moveId: action.moveId, round: action.round, numbers: [] };
    entry.numbers.push(action.n);
    beacons.set(key, entry);
  }
  let logged = 0;
  for (const { moveId, round, numbers } of beacons.values()) {
    try {
      await deps.barriers.record(moveId, round, numbers);
      logged += numbers.length;
    } catch {
      const index = actions.find((action) => action.kind === 'beacon' && action.moveId === moveId && action.round === round)?.index;
      if (index !== undefined) firstFailure = Math.min(firstFailure, index);
    }
  }
  const failed = Number.isFinite(firstFailure) ? records[firstFailure]?.sequenceNumber : undefined;
  return { failedSequenceNumbers: failed === undefined ? [] : [failed], applied, stale, beacons: logged };
}

/** A cached view of the active routes, refreshed at most every `ROUTE_CACHE_MS`. */
export function cachedRoutes(
  load: () => Promise<readonly ReplicationRoute[]>,
  now: () => number = Date.now,
): () => Promise<readonly ReplicationRoute[]> {
  let cached: { routes: readonly ReplicationRoute[]; at: number } | undefined;
  return async () => {
    if (cached && now() - cached.at < ROUTE_CACHE_MS) return cached.routes;
    const at = now();
    const routes = await load();
    cached = { routes, at };
    return routes;
  };
}
