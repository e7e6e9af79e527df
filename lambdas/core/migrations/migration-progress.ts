// What an operator is told about a migration in flight (a search index migration or a tenant move): how far the
// current phase is, in the units it works in, and the one command to run next. A percentage is only ever given
// against a total known when the phase began (an estimate, so it is capped short of 100 % until the phase ends);
// where there is none, the count alone is honest, and a phase that waits says what for instead of a percentage.

export interface NextStep {
  /** The CLI command to run, e.g. `headroom moves complete acme`. */
  readonly command: string;
  /** Why, or under what condition, in a few words: "after the soak", "to try again". */
  readonly note?: string;
  /** Not before this time (ISO 8601), when it lies ahead, e.g. the end of a soak. */
  readonly at?: string;
}

export interface MigrationProgress {
  /** Share of the current phase's work done (0-1) against a known total; null when only a count is honest. */
  readonly fraction: number | null;
  /** What is happening, with its counts: "backfilled 1,234 of ~5,000 items". */
  readonly detail: string;
  /** True while the runner moves the migration on by itself; false once it waits for an operator or has ended. */
  readonly running: boolean;
  readonly next: NextStep;
}

/** `done` of an estimated `total`; null without a total, and below 1 while the phase runs (estimates run low). */
export function shareOf(done: number, total: number | undefined): number | null {
  if (total === undefined || total <= 0) return null;
  return Math.min(0.99, Math.max(0, done / total));
}

/** 1234 → "1,234": counts as operators read them. */
export const count = (n: number): string => n.toLocaleString('en-US');

/** "1 tenant", "3 items". */
export const plural = (n: number, noun: string): string => `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
