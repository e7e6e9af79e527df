// VDiff for tenant moves: both shards compared item by item on key + version + tombstone, never by counts. A
// difference is only called one after the source is read again: if the source moved on meanwhile the key merely
// changed during the scan, and it is re-checked inside the cutover fence, when neither side can change any more.
// An idempotency key past its expiry counts as absent on either side: TTL deletes each shard's copy on its own
// schedule, and until then a new claim overwrites it, so its presence on one side only is no difference.
import { itemKeyOf, itemVersion, keyString, type ItemKey, type ShardItemStore } from './move-replication.js';
import { countKinds, type ItemCounts, type ShardItem } from '../tenancy/tenant-items.js';

export interface DiffReport {
  /** Items read on the side being scanned. */
  readonly processed: number;
  /** `processed`, per kind (conversations, comments, summaries, idempotency keys). */
  readonly byKind: ItemCounts;
  readonly matching: number;
  /** Present on both sides with a different version or tombstone, and the source did not change meanwhile. */
  readonly mismatched: number;
  /** On the source, not on the target. */
  readonly missing: number;
  /** On the target, not on the source. */
  readonly extra: number;
  /** Differed, but the source changed between the two reads: re-checked inside the fence. */
  readonly changedDuringScan: number;
  readonly samples: { readonly mismatched: string[]; readonly missing: string[]; readonly extra: string[] };
}

export const emptyDiff = (): DiffReport => ({
  processed: 0,
  byKind: {},
  matching: 0,
  mismatched: 0,
  missing: 0,
  extra: 0,
  changedDuringScan: 0,
  samples: { mismatched: [], missing: [], extra: [] },
});

const SAMPLES = 10;
const describe = (key: ItemKey): string => `${key.pk} ${key.sk}`;
const sample = (list: readonly string[], key: ItemKey) => (list.length < SAMPLES ? [...list, describe(key)] : [...list]);

/** The copy a reader finds at `at`: an idempotency key past its expiry is none. */
const live = (item: ShardItem | undefined, at: Date): ShardItem | undefined =>
  item?.type === 'idempotency' && typeof item.expiresAt === 'number' && item.expiresAt < Math.floor(at.getTime() / 1000) ? undefined : item;

/** Same version and same tombstone, or absent on both sides, at `at`: the copies are interchangeable. */
export function sameVersion(a: ShardItem | undefined, b: ShardItem | undefined, at: Date): boolean {
  const [x, y] = [live(a, at), live(b, at)];
  if (x === undefined || y === undefined) return x === y;
  return itemVersion(x).value === itemVersion(y).value && (x.deleted === true) === (y.deleted === true);
}

export interface DiffPage {
  readonly report: DiffReport;
  /** Keys that must be compared again inside the fence (changed during the scan, or behind on the target). */
  readonly recheck: ItemKey[];
}

/** Compares one page of source items with the target, as of `at`. */
export async function diffSourcePage(
  items: readonly ShardItem[],
  source: ShardItemStore,
  target: ShardItemStore,
  report: DiffReport,
  at: Date,
): Promise<DiffPage> {
  const keys = items.map(itemKeyOf);
  const onTarget = await target.getMany(keys);
  const differing = items.filter((item) => !sameVersion(item, onTarget.get(keyString(itemKeyOf(item))), at));
  const again = differing.length > 0 ? await source.getMany(differing.map(itemKeyOf)) : new Map<string, ShardItem>();
  let { matching, mismatched, missing, changedDuringScan } = report;
  let samples = report.samples;
  const recheck: ItemKey[] = [];
  matching += items.length - differing.length;
  for (const item of differing) {
    const key = itemKeyOf(item);
    recheck.push(key);
    const reread = again.get(keyString(key));
    if (!sameVersion(reread, item, at)) changedDuringScan++;
    else if (!live(onTarget.get(keyString(key)), at)) {
      missing++;
      samples = { ...samples, missing: sample(samples.missing, key) };
    } else {
      mismatched++;
      samples = { ...samples, mismatched: sample(samples.mismatched, key) };
    }
  }
  return {
    report: {
      ...report,
      processed: report.processed + items.length,
      byKind: countKinds(report.byKind, items),
      matching,
      mismatched,
      missing,
      changedDuringScan,
      samples,
    },
    recheck,
  };
}

/** Compares one page of target items with the source, as of `at`: anything the source lacks is extra. */
export async function diffTargetPage(
  items: readonly ShardItem[],
  source: ShardItemStore,
  report: DiffReport,
  at: Date,
): Promise<DiffReport> {
  const onSource = await source.getMany(items.map(itemKeyOf));
  let { extra } = report;
  let samples = report.samples;
  for (const item of items) {
    const key = itemKeyOf(item);
    if (onSource.has(keyString(key)) || !live(item, at)) continue;
    extra++;
    samples = { ...samples, extra: sample(samples.extra, key) };
  }
  return { ...report, extra, samples };
}

export interface FenceRecheck {
  readonly checked: number;
  /** Behind on the target and copied from the (fenced, so settled) source. */
  readonly repaired: number;
  /** Newer on the target than on the fenced source: impossible unless something else writes the target. */
  readonly conflicting: number;
}

/** Inside the fence the source cannot change: every key still behind on the target is copied now. */
export async function recheckInFence(
  keys: readonly ItemKey[],
  source: ShardItemStore,
  target: ShardItemStore,
  at: Date,
): Promise<FenceRecheck> {
  if (keys.length === 0) return { checked: 0, repaired: 0, conflicting: 0 };
  const [onSource, onTarget] = await Promise.all([source.getMany(keys), target.getMany(keys)]);
  let repaired = 0;
  let conflicting = 0;
  await Promise.all(
    [...onSource.entries()].map(async ([key, item]) => {
      const copy = onTarget.get(key);
      if (sameVersion(item, copy, at)) return;
      if (copy && itemVersion(copy).value > itemVersion(item).value) conflicting++;
      else if (await target.putIfNewer(item)) repaired++;
    }),
  );
  return { checked: keys.length, repaired, conflicting };
}
