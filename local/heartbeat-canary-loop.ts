// The embedded platform's synthetic heartbeat: the same canary run the scheduled Lambda does on AWS, every interval,
// as the `canary` tenant through the local HTTP API. Its outcome is published as the same EMF metrics (the canary's
// success and round trip, lambdas/telemetry.ts), so the monitor and the ops console read it like any other metric.
// Runs never overlap: the next one starts when the previous one has finished and the interval has passed; after a
// failure the next run comes sooner, so a broken write path is confirmed (and paged) within two minutes. After a
// successful run the canary deletes its conversations past the retention, as the Lambda canary does.
import { randomBytes } from 'node:crypto';
import { canaryCleanup } from '../lambdas/core/operations/canary-cleanup.js';
import { runHeartbeatCanary, type CanaryApi } from '../lambdas/core/operations/heartbeat-canary.js';
import { emit } from '../lambdas/observability.js';
import { interruptiblePause } from './interruptible-pause.js';

export interface HeartbeatCanaryLoopOptions {
  readonly api: CanaryApi;
  /** Time between the starts of two runs. */
  readonly intervalMs: number;
  /** Wait until the comment is searchable (when the platform has search), as the Lambda canary does. */
  readonly awaitSearch: boolean;
  /** The canary's conversations not updated for this many hours are deleted (`operations.canary.retentionHours`). */
  readonly retentionHours: number;
}

export interface CanaryRunSummary {
  readonly at: string;
  readonly ok: boolean;
  readonly roundTripMs: number | null;
  readonly failedStage: string | null;
  readonly reason: string | null;
}

export interface HeartbeatCanaryLoop {
  readonly intervalMs: number;
  /** The latest finished run, for the ops console. */
  last(): CanaryRunSummary | null;
  stop(): Promise<void>;
}

// The longest a run may take: a minute-long interval leaves room for the scheduler, like the Lambda's timeout.
const MAX_RUN_MS = 50_000;
const MIN_RUN_MS = 10_000;
const RECHECK_AFTER_FAILURE_MS = 15_000;

export function startHeartbeatCanaryLoop(options: HeartbeatCanaryLoopOptions): HeartbeatCanaryLoop {
  const { pause, interrupt } = interruptiblePause();
  let stopping = false;
  let last: CanaryRunSummary | null = null;
  const lastOutcome = (): CanaryRunSummary | null => last;
  const runBudgetMs = Math.min(MAX_RUN_MS, Math.max(MIN_RUN_MS, options.intervalMs));
  const clock = { now: () => new Date() };
  const cleanup = canaryCleanup({ clock, retentionHours: options.retentionHours });

  async function runOnce(): Promise<void> {
    const deadline = new Date(Date.now() + runBudgetMs);
    const outcome = await runHeartbeatCanary({
      api: options.api,
      clock,
      sleep: (ms) => pause(ms),
      deadline,
      nonce: randomBytes(12).toString('hex'),
      awaitSearch: options.awaitSearch,
    });
    if (stopping) return;
    // Published at once: the loop runs outside any invocation, so nothing would flush a buffered metric.
    emit.canaryRunNow(outcome);
    last = outcome.ok
      ? { at: new Date().toISOString(), ok: true, roundTripMs: outcome.roundTripMs, failedStage: null, reason: null }
      : { at: new Date().toISOString(), ok: false, roundTripMs: null, failedStage: outcome.failedStage, reason: outcome.reason };
    if (!outcome.ok) return;
    const swept = await cleanup.sweepIfDue(options.api, deadline);
    if (stopping) return;
    emit.canaryCleanupNow(swept);
    if (swept.status === 'failed') console.error(`[canary] cleanup failed after deleting ${swept.deleted}: ${swept.reason}`);
  }

  const loop = (async () => {
    while (!stopping) {
      const started = Date.now();
      try {
        await runOnce();
      } catch (error) {
        // runHeartbeatCanary reports API failures as outcomes; anything thrown is a bug worth seeing once per run.
        console.error('[canary] run failed unexpectedly:', error);
      }
      // `last` is set inside runOnce; read it through a function so the compiler does not narrow it to its initial value.
      const interval = lastOutcome()?.ok === false ? Math.min(options.intervalMs, RECHECK_AFTER_FAILURE_MS) : options.intervalMs;
      if (!stopping) await pause(Math.max(0, interval - (Date.now() - started)));
    }
  })();

  return {
    intervalMs: options.intervalMs,
    last: () => last,
    stop: async () => {
      stopping = true;
      interrupt();
      await loop;
    },
  };
}
