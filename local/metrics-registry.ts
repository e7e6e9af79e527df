// The embedded platform's stand-in for CloudWatch metrics: every EMF document the handlers print (and every API
// request the bridge serves) lands here, bucketed per second and per minute over a rolling window, so the heartbeat
// monitor, the ops console and `headroom status` read the very numbers the deployed alarms and dashboard would.
// Memory stays bounded whatever the traffic: old buckets are dropped and each bucket keeps a fixed-size sample.

export type Dimensions = Readonly<Record<string, string>>;

export interface Aggregate {
  /** Observations in the bucket (EMF values or bridge requests). */
  readonly count: number;
  /** Sum of the observed values: for a Count metric, the number of events. */
  readonly sum: number;
  readonly max: number | null;
  readonly p50: number | null;
  readonly p99: number | null;
}

export interface BucketAggregate extends Aggregate {
  /** Start of the bucket, epoch milliseconds. */
  readonly at: number;
}

export interface MetricsRegistryOptions {
  /** How many one-minute buckets are kept. @default 60 */
  readonly minutes?: number;
  /** How many one-second buckets are kept. @default 300 */
  readonly seconds?: number;
  /** Values sampled per bucket for percentiles (reservoir sampling beyond this). @default 512 */
  readonly samplesPerBucket?: number;
  readonly now?: () => number;
}

export interface SeriesQuery {
  /** Only series whose dimensions include all of these. */
  readonly where?: Dimensions;
}

export interface MetricsRegistry {
  /** Records one observation of `name` at `at` (default now). */
  record(name: string, value: number, dimensions?: Dimensions, at?: number): void;
  /** Parses one EMF document (as Powertools prints it) and records each metric value with its dimensions. */
  recordEmf(line: string): void;
  /** One aggregate per minute, oldest first, for the last `minutes` minutes including the current one. */
  perMinute(name: string, minutes: number, query?: SeriesQuery): BucketAggregate[];
  /** One aggregate per second, oldest first, for the last `seconds` seconds including the current one. */
  perSecond(name: string, seconds: number, query?: SeriesQuery): BucketAggregate[];
  /** Everything observed in the last `seconds` seconds, as one aggregate (to the minute beyond the per-second window). */
  window(name: string, seconds: number, query?: SeriesQuery): Aggregate;
  /** The dimension sets seen for `name` (within the kept window), e.g. every route or every group. */
  dimensions(name: string): Dimensions[];
  /** Metric names seen within the kept window. */
  names(): string[];
}

interface Bucket {
  at: number;
  count: number;
  sum: number;
  max: number;
  samples: number[];
}

interface Series {
  readonly name: string;
  readonly dimensions: Dimensions;
  readonly seconds: Map<number, Bucket>;
  readonly minutes: Map<number, Bucket>;
}

const seriesKey = (name: string, dimensions: Dimensions): string =>
  `${name}|${Object.keys(dimensions)
    .sort()
    .map((key) => `${key}=${dimensions[key]}`)
    .join(',')}`;

const matches = (dimensions: Dimensions, where: Dimensions | undefined): boolean =>
  where === undefined || Object.entries(where).every(([key, value]) => dimensions[key] === value);

/** Nearest-rank percentile of an ascending list. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}

function aggregate(buckets: readonly Bucket[]): Aggregate {
  let count = 0;
  let sum = 0;
  let max = -Infinity;
  const samples: number[] = [];
  for (const bucket of buckets) {
    count += bucket.count;
    sum += bucket.sum;
    max = Math.max(max, bucket.max);
    samples.push(...bucket.samples);
  }
  samples.sort((a, b) => a - b);
  return { count, sum, max: count === 0 ? null : max, p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

export function createMetricsRegistry(options: MetricsRegistryOptions = {}): MetricsRegistry {
  const keepMinutes = options.minutes ?? 60;
  const keepSeconds = options.seconds ?? 300;
  const samplesPerBucket = options.samplesPerBucket ?? 512;
  const now = options.now ?? Date.now;
  const series = new Map<string, Series>();

  const add = (buckets: Map<number, Bucket>, at: number, value: number) => {
    let bucket = buckets.get(at);
    if (!bucket) buckets.set(at, (bucket = { at, count: 0, sum: 0, max: -Infinity, samples: [] }));
    bucket.count++;
    bucket.sum += value;
    bucket.max = Math.max(bucket.max, value);
    // Reservoir sampling keeps every value equally likely to be in the sample, so percentiles stay unbiased.
    if (bucket.samples.length < samplesPerBucket) bucket.samples.push(value);
    else {
      const slot = Math.floor(Math.random() * bucket.count);
      if (slot < samplesPerBucket) bucket.samples[slot] = value;
    }
  };

  const prune = (current: number) => {
    const oldestSecond = Math.floor(current / 1000) * 1000 - keepSeconds * 1000;
    const oldestMinute = Math.floor(current / 60_000) * 60_000 - keepMinutes * 60_000;
    for (const [key, entry] of series) {
      for (const at of entry.seconds.keys()) if (at <= oldestSecond) entry.seconds.delete(at);
      for (const at of entry.minutes.keys()) if (at <= oldestMinute) entry.minutes.delete(at);
      if (entry.minutes.size === 0 && entry.seconds.size === 0) series.delete(key);
    }
  };
  let lastPrune = 0;

  const record = (name: string, value: number, dimensions: Dimensions = {}, at = now()) => {
    if (!Number.isFinite(value)) return;
    const key = seriesKey(name, dimensions);
    let entry = series.get(key);
    if (!entry) series.set(key, (entry = { name, dimensions: { ...dimensions }, seconds: new Map(), minutes: new Map() }));
    add(entry.seconds, Math.floor(at / 1000) * 1000, value);
    add(entry.minutes, Math.floor(at / 60_000) * 60_000, value);
    const current = now();
    if (current - lastPrune >= 1000) {
      lastPrune = current;
      prune(current);
    }
  };

  const selected = (name: string, query: SeriesQuery | undefined) =>
    [...series.values()].filter((entry) => entry.name === name && matches(entry.dimensions, query?.where));

  const buckets = (name: string, size: number, count: number, pick: (entry: Series) => Map<number, Bucket>, query?: SeriesQuery) => {
    const last = Math.floor(now() / size) * size;
    const chosen = selected(name, query);
    return Array.from({ length: count }, (_, index) => {
      const at = last - (count - 1 - index) * size;
      const found = chosen.flatMap((entry) => {
        const bucket = pick(entry).get(at);
        return bucket ? [bucket] : [];
      });
      return { at, ...aggregate(found) };
    });
  };

  return {
    record,
    recordEmf(line) {
      let document: Record<string, unknown>;
      try {
        document = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      const aws = document._aws as
        | { Timestamp?: number; CloudWatchMetrics?: { Dimensions?: string[][]; Metrics?: { Name: string }[] }[] }
        | undefined;
      const at = typeof aws?.Timestamp === 'number' ? aws.Timestamp : now();
      for (const directive of aws?.CloudWatchMetrics ?? []) {
        // Powertools emits one dimension set per directive; the union keeps every dimension should there be more.
        const dimensions = Object.fromEntries(
          [...new Set((directive.Dimensions ?? []).flat())].flatMap((dimension) => {
            const value = document[dimension];
            return typeof value === 'string' ? [[dimension, value]] : [];
          }),
        );
        for (const { Name } of directive.Metrics ?? []) {
          const value = document[Name];
          for (const one of Array.isArray(value) ? value : [value]) if (typeof one === 'number') record(Name, one, dimensions, at);
        }
      }
    },
    perMinute: (name, minutes, query) => buckets(name, 60_000, minutes, (entry) => entry.minutes, query),
    perSecond: (name, seconds, query) => buckets(name, 1000, seconds, (entry) => entry.seconds, query),
    window(name, seconds, query) {
      const from = now() - seconds * 1000;
      // Second buckets while they reach back far enough, minute buckets (coarser at the far edge) beyond.
      const [size, pick] = seconds <= keepSeconds ? [1000, (entry: Series) => entry.seconds] : [60_000, (entry: Series) => entry.minutes];
      return aggregate(selected(name, query).flatMap((entry) => [...pick(entry).values()].filter((bucket) => bucket.at + size > from)));
    },
    dimensions: (name) => selected(name, undefined).map((entry) => entry.dimensions),
    names: () => [...new Set([...series.values()].map((entry) => entry.name))].sort(),
  };
}
