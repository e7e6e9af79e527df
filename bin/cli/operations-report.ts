// `headroom status` as an operator reads it: the same operations snapshot the ops console charts, as tables.
import type { OperationsSnapshot } from '../../lambdas/core/operations/operations-snapshot.js';
import { keyValues, table } from './output.js';

const ms = (value: number | null) => (value === null ? '-' : `${Math.round(value)} ms`);

function heartbeatLine(s: OperationsSnapshot): string {
  if (!s.monitor.enabled) return 'monitor off';
  const state = s.monitor.alarm ? `ALARM since ${s.monitor.since}: customers cannot write` : 'OK';
  return `${state} (checked every ${s.monitor.periodSeconds} s${s.monitor.reason ? `; last: ${s.monitor.reason}` : ''})`;
}

function canaryLine(s: OperationsSnapshot): string {
  const c = s.canary;
  if (!c.enabled) return 'off';
  const last =
    c.lastOk === null
      ? 'no run yet'
      : c.lastOk
        ? `OK in ${ms(c.lastRoundTripMs)} at ${c.lastRunAt}`
        : `FAILED at ${c.lastRunAt}: ${c.lastFailure}`;
  return `${last} (every ${c.intervalSeconds} s; ${c.runs} runs, ${c.failures} failed, round trip p50 ${ms(c.roundTripP50Ms)}, p99 ${ms(c.roundTripP99Ms)})`;
}

/** The operations part of `headroom status`; `null` means the platform has no live view (AWS: the dashboard). */
export function operationsReport(s: OperationsSnapshot | null | undefined): string {
  if (!s) return 'operations  see the Headroom CloudWatch dashboard (live numbers are served by the embedded platform only)';
  const window = `last ${s.windowSeconds} s`;
  return [
    keyValues({
      heartbeat: heartbeatLine(s),
      canary: canaryLine(s),
      overflow: `${s.overflow.jobs} jobs sent to jobs-overflow (${window})`,
      deadLetters: `${s.deadLetters.total}${s.deadLetters.total > 0 ? ' (redrive with `headroom queues redrive --from <dlq>`)' : ''}`,
    }),
    '',
    'Heartbeats per minute (last 10 minutes)',
    table(s.heartbeats.slice(-10), ['minute', 'conversations', 'comments', 'canaryRuns', 'canaryFailures']),
    '',
    `API latency per route (${window})`,
    table(s.routes, ['route', 'requests', 'errors4xx', 'errors5xx', 'p50Ms', 'p99Ms']),
    '',
    'Queues',
    table(s.queues, ['queue', 'visible', 'inFlight', 'oldestAgeSeconds']),
    '',
    `Job dwell per tenant group (${window})`,
    table(s.groups, ['group', 'jobs', 'dwellP50Ms', 'dwellP99Ms', 'dwellMaxMs']),
    '',
    'Migrations in progress',
    s.migrations === null ? '(none)' : table(s.migrations, ['id', 'kind', 'phase', 'updatedAt']),
  ].join('\n');
}
