// EventBridge: CodeDeploy deployment state changes of the API functions (kept in the release ledger) and the
// heartbeat composite alarm's state changes (which may move recently released aliases back). Each rollback is
// recorded in the control table, logged, and counted; a rollback that failed fails the invocation, so it is retried.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { rollbackDeps } from '../composition/operations.js';
import { recordDeployment, respondToHeartbeatAlarm } from '../core/operations/release-rollback.js';
import { emit, logger, metrics } from '../observability.js';

const alarmState = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
const eventSchema = z.discriminatedUnion('detail-type', [
  z.object({
    'detail-type': z.literal('CloudWatch Alarm State Change'),
    detail: z.object({ alarmName: z.string(), state: z.object({ value: alarmState, timestamp: z.string() }) }),
  }),
  z.object({
    'detail-type': z.literal('CodeDeploy Deployment State-change Notification'),
    time: z.string(),
    detail: z.object({ deploymentGroup: z.string(), deploymentId: z.string(), state: z.string() }),
  }),
]);

export const handler = middy<unknown, void>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (raw) => {
    const deps = await rollbackDeps();
    const event = eventSchema.parse(raw);
    if (event['detail-type'] === 'CodeDeploy Deployment State-change Notification') {
      const outcome = await recordDeployment({ ...event.detail, at: new Date(event.time) }, deps);
      logger.info('deployment state recorded', { ...event.detail, outcome });
      return;
    }
    const change = { alarmName: event.detail.alarmName, state: event.detail.state.value, at: new Date(event.detail.state.timestamp) };
    const run = await respondToHeartbeatAlarm(change, deps.windowMinutes, deps, deps.now);
    logger.info('heartbeat alarm handled', { change, decisions: run.decisions, failed: run.failed });
    for (const rollback of run.rolledBack) {
      logger.error('release rolled back', { ...rollback });
      emit.releaseRolledBack(rollback.functionName);
    }
    // Failing the invocation makes EventBridge's async invoke retry; aliases already moved are then left alone.
    if (run.failed.length > 0) throw new Error(`could not roll back ${run.failed.map((f) => `${f.functionName} (${f.error})`).join(', ')}`);
  });
