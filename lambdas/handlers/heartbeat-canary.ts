// EventBridge schedule (every minute): one synthetic heartbeat run as the canary tenant through the public API,
// published as the canary's success (1/0) and, for a completed round trip, its round-trip time. Every invocation
// publishes exactly one outcome, a run that could not even start included. After a successful run the canary
// deletes its conversations past the retention (lambdas/core/operations/canary-cleanup.ts); the sweep stops in time
// for the invocation to flush, and its failure is counted apart, never as the heartbeat's.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { canaryDeps } from '../composition/operations.js';
import { runHeartbeatCanary, type CanaryOutcome } from '../core/operations/heartbeat-canary.js';
import { emit, logger, metrics } from '../observability.js';

/** Leaves the function time to flush its metrics after a run that used its whole deadline. */
const FLUSH_MARGIN_MS = 3_000;

/** No token, no run: that is a failed heartbeat too, or a broken canary would look like a quiet night. */
const unreadableToken = (error: Error): CanaryOutcome => ({
  ok: false,
  nonce: 'none',
  failedStage: 'create-conversation',
  reason: `could not read the canary token: ${error.message}`,
  elapsedMs: 0,
  searchPolls: 0,
  timings: {},
});

export const handler = middy<unknown, void>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (_event: unknown, context: Context) => {
    const deps = canaryDeps();
    const ends = Date.now() + context.getRemainingTimeInMillis();
    const deadline = new Date(Math.min(Date.now() + deps.deadlineSeconds * 1000, ends - FLUSH_MARGIN_MS));
    const api = await deps.api().catch((error: Error) => error);
    const outcome =
      api instanceof Error
        ? unreadableToken(api)
        : await runHeartbeatCanary({
            api,
            clock: deps.clock,
            sleep: deps.sleep,
            deadline,
            nonce: deps.nonce(),
            awaitSearch: deps.awaitSearch,
          });
    emit.canaryRun(outcome);
    if (outcome.ok) logger.info('heartbeat canary succeeded', { ...outcome });
    else logger.error('heartbeat canary failed', { ...outcome });
    // A failing write path is no time for deletes: the sweep waits for a run that succeeded.
    if (api instanceof Error || !outcome.ok) return;

    // The last request a sweep starts still ends (or times out) before the invocation must flush.
    const sweepDeadline = new Date(Math.min(deadline.getTime(), ends - FLUSH_MARGIN_MS - deps.requestTimeoutMs));
    const cleanup = await deps.cleanup.sweepIfDue(api, sweepDeadline);
    emit.canaryCleanup(cleanup);
    if (cleanup.status === 'failed') logger.warn('heartbeat canary cleanup failed', { ...cleanup });
    else if (cleanup.status === 'swept') logger.info('heartbeat canary cleanup swept', { ...cleanup });
  });
