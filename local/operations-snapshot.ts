// Builds the operator snapshot from the embedded platform's own sources: the metrics registry (EMF metrics, bridge
// latency, job dwell, sampled queue depth), the queue inspector, the heartbeat loops and the migrations admin API.
// The ops console and GET /admin/status both call this, so they always agree.
import type {
  GroupDwell,
  MigrationInProgress,
  OperationsSnapshot,
  QueueDepth,
  RouteLatency,
} from '../lambdas/core/operations/operations-snapshot.js';
import { METRICS } from '../lambdas/telemetry.js';
import { API_LATENCY_METRIC } from './api-metrics.js';
import type { HeartbeatCanaryLoop } from './heartbeat-canary-loop.js';
import type { HeartbeatMonitorLoop } from './heartbeat-monitor-loop.js';
import { JOB_DWELL_METRIC } from './job-dwell.js';
import type { MetricsRegistry } from './metrics-registry.js';

/** Largest depth (visible + in flight) per sample, dimension `queue`. */
export const QUEUE_DEPTH_METRIC = 'QueueDepth';

export interface OperationsSources {
  readonly registry: MetricsRegistry;
  readonly queues: () => Promise<readonly QueueDepth[]>;
  /** Migrations in progress; null when the platform has no migrations API. */
  readonly migrations: () => Promise<readonly MigrationInProgress[] | null>;
  readonly canary: () => HeartbeatCanaryLoop | undefined;
  readonly monitor: () => HeartbeatMonitorLoop | undefined;
  /** Minutes of history in the per-minute series. @default 30 */
  readonly minutes?: number;
  /** Seconds covered by the latency, group and overflow totals. @default 300 */
  readonly windowSeconds?: number;
}

const iso = (at: number) => new Date(at).toISOString();
const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);

export async function operationsSnapshot(sources: OperationsSources): Promise<OperationsSnapshot> {
  const { registry } = sources;
  const minutes = sources.minutes ?? 30;
  const windowSeconds = sources.windowSeconds ?? 300;
  const [queues, migrations] = await Promise.all([
    sources.queues().catch(() => [] as QueueDepth[]),
    sources.migrations().catch(() => null),
  ]);

  const conversations = registry.perMinute(METRICS.conversationCreated.name, minutes);
  const comments = registry.perMinute(METRICS.commentCreated.name, minutes);
  const canaryMinutes = registry.perMinute(METRICS.canarySuccess.name, minutes);
  const heartbeats = conversations.map((bucket, index) => ({
    minute: iso(bucket.at),
    conversations: bucket.sum,
    comments: comments[index]?.sum ?? 0,
    canaryRuns: canaryMinutes[index]?.count ?? 0,
    canaryFailures: (canaryMinutes[index]?.count ?? 0) - (canaryMinutes[index]?.sum ?? 0),
  }));

  const routeNames = [...new Set(registry.dimensions(API_LATENCY_METRIC).map((dimensions) => dimensions.route ?? ''))].sort();
  const routes: RouteLatency[] = routeNames
    .map((route) => {
      const all = registry.window(API_LATENCY_METRIC, windowSeconds, { where: { route } });
      return {
        route,
        requests: all.count,
        errors4xx: registry.window(API_LATENCY_METRIC, windowSeconds, { where: { route, statusClass: '4xx' } }).count,
        errors5xx: registry.window(API_LATENCY_METRIC, windowSeconds, { where: { route, statusClass: '5xx' } }).count,
        p50Ms: round(all.p50),
        p99Ms: round(all.p99),
      };
    })
    .filter((route) => route.requests > 0);
  const routeMinutes = Object.fromEntries(
    routeNames.map((route) => [route, registry.perMinute(API_LATENCY_METRIC, minutes, { where: { route } })]),
  );
  const routeP99PerMinute = conversations.map((bucket, index) => ({
    minute: iso(bucket.at),
    p99Ms: Object.fromEntries(routeNames.map((route) => [route, round(routeMinutes[route]?.[index]?.p99 ?? null)])),
  }));

  const queueNames = queues.map((queue) => queue.queue);
  const depthMinutes = Object.fromEntries(
    queueNames.map((queue) => [queue, registry.perMinute(QUEUE_DEPTH_METRIC, minutes, { where: { queue } })]),
  );
  const queueDepthPerMinute = conversations.map((bucket, index) => ({
    minute: iso(bucket.at),
    depth: Object.fromEntries(queueNames.map((queue) => [queue, depthMinutes[queue]?.[index]?.max ?? null])),
  }));

  const groupNames = [...new Set(registry.dimensions(JOB_DWELL_METRIC).map((dimensions) => dimensions.group ?? ''))].sort();
  const groups: GroupDwell[] = groupNames
    .map((group) => {
      const dwell = registry.window(JOB_DWELL_METRIC, windowSeconds, { where: { group } });
      return { group, jobs: dwell.count, dwellP50Ms: round(dwell.p50), dwellP99Ms: round(dwell.p99), dwellMaxMs: round(dwell.max) };
    })
    .filter((group) => group.jobs > 0)
    .sort((a, b) => (b.dwellP99Ms ?? 0) - (a.dwellP99Ms ?? 0));

  const deadLetterQueues = queues.filter((queue) => queue.queue.endsWith('-dlq'));
  const canary = sources.canary();
  const last = canary?.last() ?? null;
  const canaryWindow = registry.window(METRICS.canarySuccess.name, windowSeconds);
  const roundTrips = registry.window(METRICS.canaryRoundTripMs.name, windowSeconds);
  const monitor = sources.monitor();
  const state = monitor?.state();

  return {
    generatedAt: new Date().toISOString(),
    windowSeconds,
    monitor: {
      enabled: monitor !== undefined,
      alarm: state?.alarm ?? false,
      since: state?.since ?? null,
      verdict: state?.last?.verdict ?? null,
      reason: state?.last?.reason ?? null,
      periodSeconds: monitor ? monitor.periodMs / 1000 : null,
    },
    canary: {
      enabled: canary !== undefined,
      intervalSeconds: canary ? canary.intervalMs / 1000 : null,
      lastRunAt: last?.at ?? null,
      lastOk: last?.ok ?? null,
      lastRoundTripMs: last?.roundTripMs ?? null,
      lastFailure: last && !last.ok ? `${last.failedStage}: ${last.reason}` : null,
      runs: canaryWindow.count,
      failures: canaryWindow.count - canaryWindow.sum,
      roundTripP50Ms: round(roundTrips.p50),
      roundTripP99Ms: round(roundTrips.p99),
    },
    heartbeats,
    routes,
    routeP99PerMinute,
    queues,
    queueDepthPerMinute,
    groups,
    overflow: {
      jobs: registry.window(METRICS.jobsOverflowed.name, windowSeconds).sum,
      perMinute: registry.perMinute(METRICS.jobsOverflowed.name, minutes).map((bucket) => ({ minute: iso(bucket.at), jobs: bucket.sum })),
    },
    deadLetters: {
      total: deadLetterQueues.reduce((total, queue) => total + queue.visible + queue.inFlight, 0),
      queues: deadLetterQueues.map((queue) => ({ queue: queue.queue, visible: queue.visible + queue.inFlight })),
    },
    migrations,
  };
}
