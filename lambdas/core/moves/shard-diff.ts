// VDiff for tenant moves: both shards compared item by item on key + version + tombstone, never by counts. A
// difference is only called one after the source is read again: if the source moved on meanwhile the key merely
// changed during the scan, and it is re-checked inside the cutover fence, when neither side can change any more.
import { itemKeyOf, keyString, type ItemKey, type ShardItemStore } from './move-replication.js';
import type { ShardItem } from '../tenancy/tenant-items.js';

export interface DiffReport {
  /** Items read on the side being scanned. */
  readonly processed: number;
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

/** Same version and same tombstone: the copies are interchangeable. */
export const sameVersion = (a: ShardItem | undefined, b: ShardItem | undefined): boolean =>
  a !== undefined && b !== undefined && a.v === b.v && (a.deleted === true) === (b.deleted === true);

export interface DiffPage {
  readonly report: DiffReport;
  /** Keys that must be compared again inside the fence (changed during the scan, or behind on the target). */
  readonly recheck: ItemKey[];
}

/** Compares one page of source items with the target. */
export async function diffSourcePage(
  items: readonly ShardItem[],
  source: ShardItemStore,
  target: ShardItemStore,
  report: DiffReport,
): Promise<DiffPage> {
  const keys = items.map(itemKeyOf);
  const onTarget = await target.getMany(keys);
  const differing = items.filter((item) => !sameVersion(item, onTarget.get(keyString(itemKeyOf(item)))));
  const again = differing.length > 0 ? await source.getMany(differing.map(itemKeyOf)) : new Map<string, ShardItem>();
  let { matching, mismatched, missing, changedDuringScan } = report;
  let samples = report.samples;
  const recheck: ItemKey[] = [];
  matching += items.length - differing.length;
  for (const item of differing) {
    const key = itemKeyOf(item);
    recheck.push(key);
    const reread = again.get(keyString(key));
    if (!sameVersion(reread, item)) changedDuringScan++;
    else if (!onTarget.has(keyString(key))) {
      missing++;
      samples = { ...samples, missing: sample(samples.missing, key) };
    } else {
      mismatched++;
      samples = { ...samples, mismatched: sample(samples.mismatched, key) };
    }
  }
  return {
    report: { ...report, processed: report.processed + items.length, matching, mismatched, missing, changedDuringScan, samples },
    recheck,
  };
}

/** Compares one page of target items with the source: anything the source lacks is extra. */
export async function diffTargetPage(items: readonly ShardItem[], source: ShardItemStore, report: DiffReport): Promise<DiffReport> {
  const onSource = await source.getMany(items.map(itemKeyOf));
  let { extra } = report;
  let samples = report.samples;
  for (const item of items) {
    const key = itemKeyOf(item);
    if (onSource.has(keyString(key))) continue;
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
export async function recheckInFence(keys: readonly ItemKey[], source: ShardItemStore, target: ShardItemStore): Promise<FenceRecheck> {
  if (keys.length === 0) return { checked: 0, repaired: 0, conflicting: 0 };
  const [onSource, onTarget] = await Promise.all([source.getMany(keys), target.getMany(keys)]);
  let repaired = 0;
  let conflicting = 0;
  await Promise.all(
    [...onSource.entries()].map(async ([key, item]) => {
      const copy = onTarget.get(key);
      if (sameVersion(item, copy)) return;
      if (copy && typeof copy.v === 'number' && typeof item.v === 'number' && copy.v > item.v) conflicting++;
      else if (await target.putIfNewer(item)) repaired++;
    }),
  );
  return { checked: keys.length, repaired, conflicting };
}
