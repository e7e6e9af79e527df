// EventBridge schedule (every minute): one synthetic heartbeat run as the canary tenant through the public API,
// published as the canary's success (1/0) and, for a completed round trip, its round-trip time. Every invocation
// publishes exactly one outcome, a run that could not even start included.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { canaryDeps } from '../composition/operations.js';
import { runHeartbeatCanary, type CanaryOutcome } from '../core/operations/heartbeat-canary.js';
import { emit, logger, metrics } from '../observability.js';

/** Leaves the function time to flush its metrics after a run that used its whole deadline. */
const FLUSH_MARGIN_MS = 3_000;

export const handler = middy<unknown, void>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (_event: unknown, context: Context) => {
    const deps = canaryDeps();
    const deadline = new Date(Date.now() + Math.min(deps.deadlineSeconds * 1000, context.getRemainingTimeInMillis() - FLUSH_MARGIN_MS));
    const outcome = await deps.api().then(
      (api) =>
        runHeartbeatCanary({ api, clock: deps.clock, sleep: deps.sleep, deadline, nonce: deps.nonce(), awaitSearch: deps.awaitSearch }),
      // No token, no run: that is a failed heartbeat too, or a broken canary would look like a quiet night.
      (error: Error): CanaryOutcome => ({
        ok: false,
        nonce: 'none',
        failedStage: 'create-conversation',
        reason: `could not read the canary token: ${error.message}`,
        elapsedMs: 0,
        searchPolls: 0,
        timings: {},
      }),
    );
    emit.canaryRun(outcome);
    if (outcome.ok) logger.info('heartbeat canary succeeded', { ...outcome });
    else logger.error('heartbeat canary failed', { ...outcome });
  });
