// Shared measuring tools for benchmarks: latency percentiles and a fixed-concurrency closed-loop load driver.

export interface BenchmarkContext {
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

export interface Benchmark {
  readonly goals: Readonly<Record<string, string>>;
  run(context: BenchmarkContext): Promise<unknown>;
}

export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  const index = Math.min(sortedAscending.length - 1, Math.ceil((p / 100) * sortedAscending.length) - 1);
  return sortedAscending[Math.max(0, index)] ?? Number.NaN;
}

export const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

export const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Runs `operation` from `concurrency` workers for `seconds`; returns completed operations per second. */
export async function closedLoop(
  concurrency: number,
  seconds: number,
  operation: (worker: number, n: number) => Promise<void>,
): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let completed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let n = 0; performance.now() < deadline; n++) {
        await operation(worker, n);
        completed++;
      }
    }),
  );
  return completed / ((performance.now() - started) / 1000);
}
