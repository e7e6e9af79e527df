// Per-route latency and time-to-first-token as a "peak EWMA": a slower sample is taken at once (a latency spike
// moves traffic away on the next request, not after dozens), a faster one is blended in with a weight that grows
// with the time since the last sample. With no samples the estimate decays, so a route that was slow once is
// tried again later instead of being starved forever on stale evidence.

export interface LatencyTrackerOptions {
  /** Time constant of the moving average (ms): older evidence counts less the longer ago it was seen. */
  readonly decayMs: number;
  /** Estimate for a route never measured: optimistic enough that it gets tried. */
  readonly priorMs: number;
}

export const DEFAULT_LATENCY: LatencyTrackerOptions = { decayMs: 10_000, priorMs: 500 };

export interface LatencyEstimate {
  readonly latencyMs: number;
  readonly firstTokenMs: number;
  readonly samples: number;
}

export interface LatencyTracker {
  record(latencyMs: number, firstTokenMs: number, nowMs: number): void;
  /** The estimate now, decayed for the time since the last sample. */
  estimate(nowMs: number): LatencyEstimate;
}

export function createLatencyTracker({ decayMs, priorMs }: LatencyTrackerOptions = DEFAULT_LATENCY): LatencyTracker {
  let latency = priorMs;
  let firstToken = priorMs;
  let samples = 0;
  let lastAt: number | undefined;

  const blend = (current: number, sample: number, elapsedMs: number) => {
    if (sample > current) return sample;
    const weight = 1 - Math.exp(-Math.max(elapsedMs, 1) / decayMs);
    // At least a tenth of the new sample counts, so a burst of fast answers brings the estimate down quickly.
    const w = Math.max(weight, 0.1);
    return current * (1 - w) + sample * w;
  };
  const decayed = (value: number, nowMs: number) => {
    if (lastAt === undefined) return value;
    const idle = Math.max(0, nowMs - lastAt);
    // Decays toward zero: an unused route looks faster and faster until one request re-measures it, so a slow
    // route that recovered wins its traffic back (a still-slow one is re-measured about every couple of minutes).
    return value * Math.exp(-idle / (3 * decayMs));
  };

  return {
    record(latencyMs, firstTokenMs, nowMs) {
      const elapsed = lastAt === undefined ? decayMs : nowMs - lastAt;
      if (samples === 0) {
        latency = latencyMs;
        firstToken = firstTokenMs;
      } else {
        latency = blend(decayed(latency, nowMs), latencyMs, elapsed);
        firstToken = blend(decayed(firstToken, nowMs), firstTokenMs, elapsed);
      }
      samples++;
      lastAt = nowMs;
    },
    estimate(nowMs) {
      return { latencyMs: decayed(latency, nowMs), firstTokenMs: decayed(firstToken, nowMs), samples };
    },
  };
}
