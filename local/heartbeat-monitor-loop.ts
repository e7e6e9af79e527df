// The embedded platform's heartbeat alarm: every period it reads the registry (committed creates, write requests
// and their 5xx from the bridge, canary outcomes), lets core/heartbeat-monitor judge it, and says so loudly exactly
// once when customers cannot write and once when they can again, the local twin of the "customers cannot write"
// composite alarm.
import {
  DEFAULT_HEARTBEAT_MONITOR,
  INITIAL_HEARTBEAT_STATE,
  nextHeartbeatState,
  type HeartbeatMonitorConfig,
  type HeartbeatPeriod,
  type HeartbeatState,
} from '../lambdas/core/operations/heartbeat-monitor.js';
import { functionDefinition } from '../lambdas/functions.js';
import { ROUTES } from '../lambdas/routes.js';
import { METRICS } from '../lambdas/telemetry.js';
import { API_LATENCY_METRIC } from './api-metrics.js';
import { interruptiblePause } from './interruptible-pause.js';
import type { MetricsRegistry } from './metrics-registry.js';

export interface HeartbeatMonitorLoopOptions {
  readonly registry: MetricsRegistry;
  readonly periodMs: number;
  /** Minutes of history that say how much write traffic to expect. @default 15 */
  readonly baselineMinutes?: number;
  readonly config?: Partial<HeartbeatMonitorConfig>;
  /** Where the alarm and recovery lines go. @default stderr */
  readonly log?: (line: string) => void;
}

export interface HeartbeatMonitorLoop {
  readonly periodMs: number;
  state(): HeartbeatState;
  stop(): Promise<void>;
}

/** The routes whose success is a customer heartbeat: creating conversations and comments. */
export const WRITE_ROUTES = ROUTES.filter(
  (route) => route.method === 'POST' && functionDefinition(route.handler).needs.shards === 'read-write',
).map((route) => `${route.method} ${route.path}`);

const RUNBOOK = 'docs/runbooks/heartbeat-alarm.md';

/** What the registry saw in the `periodMs` up to now. */
export function observeHeartbeatPeriod(registry: MetricsRegistry, periodMs: number, baselineMinutes: number): HeartbeatPeriod {
  const seconds = periodMs / 1000;
  const committed = (window: number) =>
    registry.window(METRICS.conversationCreated.name, window).sum + registry.window(METRICS.commentCreated.name, window).sum;
  const requests = WRITE_ROUTES.map((route) => registry.window(API_LATENCY_METRIC, seconds, { where: { route } }).count);
  const serverErrors = WRITE_ROUTES.map(
    (route) => registry.window(API_LATENCY_METRIC, seconds, { where: { route, statusClass: '5xx' } }).count,
  );
  const canary = registry.window(METRICS.canarySuccess.name, seconds);
  // The minutes before the current one; the current minute is still filling up.
  const minutes = [METRICS.conversationCreated.name, METRICS.commentCreated.name].map((name) =>
    registry.perMinute(name, baselineMinutes + 1).slice(0, -1),
  );
  return {
    writesCommitted: committed(seconds),
    writeRequests: requests.reduce((a, b) => a + b, 0),
    writeServerErrors: serverErrors.reduce((a, b) => a + b, 0),
    canaryRuns: canary.count,
    canaryFailures: canary.count - canary.sum,
    baselinePerMinute: (minutes[0] ?? []).map((bucket, index) => bucket.sum + (minutes[1]?.[index]?.sum ?? 0)),
  };
}

export function startHeartbeatMonitorLoop(options: HeartbeatMonitorLoopOptions): HeartbeatMonitorLoop {
  const config = { ...DEFAULT_HEARTBEAT_MONITOR, ...options.config };
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const baselineMinutes = options.baselineMinutes ?? 15;
  const { pause, interrupt } = interruptiblePause();
  let state = INITIAL_HEARTBEAT_STATE;
  let stopping = false;

  const evaluate = () => {
    const raisedAt = state.since;
    const step = nextHeartbeatState(state, observeHeartbeatPeriod(options.registry, options.periodMs, baselineMinutes), new Date(), config);
    state = step.state;
    const reason = state.last?.reason ?? '';
    if (step.transition === 'raised')
      log(`*** HEARTBEAT ALARM *** customers cannot write: ${reason}. See ${RUNBOOK} and the ops console (/_ops).`);
    if (step.transition === 'cleared') {
      const seconds = raisedAt ? Math.round((Date.now() - Date.parse(raisedAt)) / 1000) : 0;
      log(`*** HEARTBEAT OK *** customers can write again after ${seconds} s: ${reason}.`);
    }
  };

  const loop = (async () => {
    for (;;) {
      await pause(options.periodMs);
      if (stopping) return;
      evaluate();
    }
  })();

  return {
    periodMs: options.periodMs,
    state: () => state,
    stop: async () => {
      stopping = true;
      interrupt();
      await loop;
    },
  };
}
