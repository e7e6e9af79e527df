// The operator's live numbers (heartbeats, API latency, queues, groups, overflow, dead letters, migrations) as one
// shape, so the ops console and `headroom status` show the same figures from the same source and cannot drift.
// Every duration is in milliseconds and every window is stated, because a p99 without its window means nothing.

export interface HeartbeatMinute {
  /** Start of the minute, ISO. */
  readonly minute: string;
  readonly conversations: number;
  readonly comments: number;
  readonly canaryRuns: number;
  readonly canaryFailures: number;
}

export interface RouteLatency {
  /** `METHOD /resource`. */
  readonly route: string;
  readonly requests: number;
  readonly errors4xx: number;
  readonly errors5xx: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export interface QueueDepth {
  readonly queue: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly oldestAgeSeconds: number | null;
}

export interface GroupDwell {
  readonly group: string;
  /** Jobs applied in the window. */
  readonly jobs: number;
  readonly dwellP50Ms: number | null;
  readonly dwellP99Ms: number | null;
  readonly dwellMaxMs: number | null;
}

export interface MigrationInProgress {
  readonly id: string;
  readonly kind: string;
  readonly phase: string;
  readonly updatedAt: string | null;
}

export interface OperationsSnapshot {
  readonly generatedAt: string;
  /** Seconds covered by the latency, group and overflow totals. */
  readonly windowSeconds: number;
  readonly monitor: {
    readonly enabled: boolean;
    readonly alarm: boolean;
    /** When the alarm was raised or last cleared. */
    readonly since: string | null;
    readonly verdict: 'healthy' | 'failing' | 'quiet' | null;
    readonly reason: string | null;
    readonly periodSeconds: number | null;
  };
  readonly canary: {
    readonly enabled: boolean;
    readonly intervalSeconds: number | null;
    readonly lastRunAt: string | null;
    readonly lastOk: boolean | null;
    readonly lastRoundTripMs: number | null;
    readonly lastFailure: string | null;
    readonly runs: number;
    readonly failures: number;
    readonly roundTripP50Ms: number | null;
    readonly roundTripP99Ms: number | null;
  };
  /** Oldest first, one entry per minute, the current minute last. */
  readonly heartbeats: readonly HeartbeatMinute[];
  readonly routes: readonly RouteLatency[];
  /** p99 per route per minute, oldest first (same minutes as `heartbeats`). */
  readonly routeP99PerMinute: readonly { readonly minute: string; readonly p99Ms: Readonly<Record<string, number | null>> }[];
  readonly queues: readonly QueueDepth[];
  /** Largest depth (visible + in flight) seen per queue per minute, oldest first. */
  readonly queueDepthPerMinute: readonly { readonly minute: string; readonly depth: Readonly<Record<string, number | null>> }[];
  readonly groups: readonly GroupDwell[];
  readonly overflow: { readonly jobs: number; readonly perMinute: readonly { readonly minute: string; readonly jobs: number }[] };
  readonly deadLetters: { readonly total: number; readonly queues: readonly { readonly queue: string; readonly visible: number }[] };
  /** Migrations not yet completed, cancelled or reversed; null when this platform has no migrations API. */
  readonly migrations: readonly MigrationInProgress[] | null;
}
