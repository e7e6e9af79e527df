// Output for operators: JSON with --json (stable, scriptable), aligned tables otherwise. Watches redraw one live
// line and end it before anything else prints, and every migration's summary ends with the command to run next.
import { setTimeout as sleep } from 'node:timers/promises';
import type { MigrationProgress, NextStep } from '../../lambdas/core/migrations/migration-progress.js';

export type Row = object;

const cell = (value: unknown): string =>
  value === null || value === undefined ? '-' : typeof value === 'object' ? JSON.stringify(value) : String(value);

export function table(rows: readonly Row[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => cell((row as Record<string, unknown>)[column]).length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, index) => value.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((column) => column.toUpperCase())),
    ...rows.map((row) => line(columns.map((column) => cell((row as Record<string, unknown>)[column])))),
  ].join('\n');
}

export function keyValues(row: Row): string {
  const width = Math.max(...Object.keys(row as Record<string, unknown>).map((key) => key.length));
  return Object.entries(row as Record<string, unknown>)
    .map(([key, value]) => `${key.padEnd(width)}  ${cell(value)}`)
    .join('\n');
}

export function emit(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(`${json ? JSON.stringify(value, null, 2) : human()}\n`);
}

/** `[##########----------]  45%`: the bar an operator watches while a migration or move runs. */
export function progressBar(fraction: number, width = 30): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%`;
}

/** A phase's progress on one line: the bar when there is a total to measure against, the counts in any case. */
export function progressText(progress: Pick<MigrationProgress, 'fraction' | 'detail'>): string {
  return progress.fraction === null ? progress.detail : `${progressBar(progress.fraction)}  ${progress.detail}`;
}

/** The global options that say where a command connects, as they must be repeated on the next command. */
export interface Connection {
  readonly endpoint?: string;
  readonly stack?: string;
  readonly profile?: string;
  readonly region?: string;
}

/** `next: npx headroom moves complete acme (after the soak, at 14:05:30)`: the exact command to run next. */
export function nextLine(next: NextStep, connection: Connection = {}): string {
  const flags = (['endpoint', 'stack', 'profile', 'region'] as const).flatMap((name) =>
    connection[name] ? [`--${name} ${connection[name]}`] : [],
  );
  const at = next.at ? `at ${new Date(next.at).toLocaleTimeString('en-GB', { hour12: false })}` : undefined;
  const when = [next.note, at].filter(Boolean).join(', ');
  return `next: ${['npx', next.command, ...flags].join(' ')}${when ? ` (${when})` : ''}`;
}

export interface WatchOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const CLEAR_TO_LINE_END = '\u001b[K';

/**
 * A watch's status line: redrawn in place on a terminal (carriage return, clear to the line's end, cut to the
 * terminal's width so it never wraps), one line per change otherwise. `end` closes a drawn line, so whatever is
 * printed next starts on a line of its own instead of over the bar.
 */
export function liveLine(out: WatchOutput = process.stdout) {
  let drawn = false;
  let last: string | undefined;
  return {
    draw(text: string): void {
      if (out.isTTY) {
        out.write(`\r${out.columns ? text.slice(0, out.columns - 1) : text}${CLEAR_TO_LINE_END}`);
        drawn = true;
      } else if (text !== last) out.write(`${text}\n`);
      last = text;
    },
    end(): void {
      if (drawn) out.write('\n');
      drawn = false;
    },
  };
}

/** Reads `read` every `intervalMs`, drawing `frame` on a live line while `running`; returns the first settled value. */
export async function watchUntilSettled<T>(options: {
  readonly read: () => Promise<T>;
  readonly running: (value: T) => boolean;
  readonly frame: (value: T) => string;
  readonly out?: WatchOutput;
  readonly intervalMs?: number;
}): Promise<T> {
  const line = liveLine(options.out);
  try {
    for (;;) {
      const value = await options.read();
      if (!options.running(value)) return value;
      line.draw(options.frame(value));
      await sleep(options.intervalMs ?? 1000);
    }
  } finally {
    // Also before an error is printed, so it does not land on the bar's line either.
    line.end();
  }
}
