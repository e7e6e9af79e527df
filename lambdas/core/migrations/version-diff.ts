// VDiff-style comparison of two sides of a migration by id + version + tombstone, never by counts alone: equal
// counts can hide a missing document balanced by an extra one. Samples are capped so a report stays small.
import type { VersionEntry } from '../search/search-index.js';

export const SAMPLE_LIMIT = 10;

export interface VersionDiff {
  readonly processed: number;
  readonly matching: number;
  /** Present on both sides with a different version or tombstone state. */
  readonly mismatched: number;
  /** In the source of truth, absent from the target. */
  readonly missing: number;
  /** In the target, absent from the source of truth. */
  readonly extra: number;
  readonly samples: { readonly mismatched: string[]; readonly missing: string[]; readonly extra: string[] };
  /** Every id that differed, for a re-check. */
  readonly differing: string[];
}

/** How one id compares across the two sides; `absent` when neither has it (so it is no document at all). */
export type Comparison = 'matching' | 'mismatched' | 'missing' | 'extra' | 'absent';

export function compareVersions(source: VersionEntry | undefined, target: VersionEntry | undefined): Comparison {
  if (!source) return target ? 'extra' : 'absent';
  if (!target) return 'missing';
  return source.v === target.v && source.deleted === target.deleted ? 'matching' : 'mismatched';
}

/** Compares two id-sorted lists (as `scanVersions` returns them). */
export function diffVersions(source: readonly VersionEntry[], target: readonly VersionEntry[]): VersionDiff {
  const mismatched: string[] = [];
  const missing: string[] = [];
  const extra: string[] = [];
  let matching = 0;
  let i = 0;
  let j = 0;
  while (i < source.length || j < target.length) {
    const left = source[i];
    const right = target[j];
    if (left && (!right || left.id < right.id)) {
      missing.push(left.id);
      i++;
    } else if (right && (!left || right.id < left.id)) {
      extra.push(right.id);
      j++;
    } else if (left && right) {
      if (compareVersions(left, right) === 'matching') matching++;
      else mismatched.push(left.id);
      i++;
      j++;
    }
  }
  return { ...diffCounts(matching, { mismatched, missing, extra }), differing: [...mismatched, ...missing, ...extra] };
}

/** The counts and capped samples of a comparison, from the matching count and the ids that differ, by kind. */
export function diffCounts(
  matching: number,
  differing: { readonly mismatched: readonly string[]; readonly missing: readonly string[]; readonly extra: readonly string[] },
): Omit<VersionDiff, 'differing'> {
  const { mismatched, missing, extra } = differing;
  return {
    processed: matching + mismatched.length + missing.length + extra.length,
    matching,
    mismatched: mismatched.length,
    missing: missing.length,
    extra: extra.length,
    samples: {
      mismatched: mismatched.slice(0, SAMPLE_LIMIT),
      missing: missing.slice(0, SAMPLE_LIMIT),
      extra: extra.slice(0, SAMPLE_LIMIT),
    },
  };
}

export const byId = (a: VersionEntry, b: VersionEntry): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export interface Drift {
  /** Live in the source, absent from the target. */
  readonly lost: number;
  /** In both, but the target holds an older version. */
  readonly stale: number;
  /** Deleted in the source, live in the target. */
  readonly resurrected: number;
  /** In the target, never in the source. */
  readonly extra: number;
}

/** How far a target is from the source of truth, in the terms a migration promises: nothing lost, stale or resurrected. */
export function driftOf(source: readonly VersionEntry[], target: readonly VersionEntry[]): Drift {
  const indexed = new Map(target.map((entry) => [entry.id, entry]));
  let lost = 0;
  let stale = 0;
  let resurrected = 0;
  for (const entry of source) {
    const copy = indexed.get(entry.id);
    indexed.delete(entry.id);
    if (!copy) {
      if (!entry.deleted) lost++;
      continue;
    }
    if (entry.deleted && !copy.deleted) resurrected++;
    else if (copy.v < entry.v) stale++;
  }
  return { lost, stale, resurrected, extra: indexed.size };
}

/** One entry per id (the highest version), sorted by id: enumerations may see an item twice while it changes. */
export function latestById(entries: readonly VersionEntry[]): VersionEntry[] {
  const latest = new Map<string, VersionEntry>();
  for (const entry of entries) {
    const seen = latest.get(entry.id);
    if (!seen || entry.v > seen.v) latest.set(entry.id, entry);
  }
  return [...latest.values()].sort(byId);
}
