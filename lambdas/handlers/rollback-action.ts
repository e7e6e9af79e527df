// EventBridge: CodeDeploy deployment state changes of the API functions (kept in the release ledger) and the
// heartbeat composite alarm's state changes (which may move recently released aliases back). Each rollback is
// recorded in the control table, logged, and counted as ReleaseRolledBack.
import { LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { DynamoReleaseLedger } from '../adapters/aws/dynamo-release-ledger.js';
import { LambdaAliasControl } from '../adapters/aws/lambda-alias-control.js';
import { recordDeployment, respondToHeartbeatAlarm, type ReleaseRollbackDeps } from '../core/operations/release-rollback.js';
import { ENV } from '../environment.js';
import { logger, metrics } from '../observability.js';
import { OPERATIONS_ENV, OPERATIONS_METRICS, readOperationsEnvironment, rollbackEnvironmentSchema } from '../operations-contract.js';

// Read on the first invocation, not at import: a bundle must load (and say what is missing) like every other function.
let composed:
  | { env: ReturnType<typeof readOperationsEnvironment<typeof rollbackEnvironmentSchema>>; deps: ReleaseRollbackDeps }
  | undefined;
function compose() {
  if (composed) return composed;
  const env = readOperationsEnvironment(rollbackEnvironmentSchema);
  const deps: ReleaseRollbackDeps = {
    targets: env[OPERATIONS_ENV.releaseTargets],
    ledger: new DynamoReleaseLedger(DynamoDBDocumentClient.from(new DynamoDBClient({})), env[ENV.controlTable]),
    aliases: new LambdaAliasControl(new LambdaClient({})),
  };
  return (composed = { env, deps });
}

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
    const { env, deps } = compose();
    const event = eventSchema.parse(raw);
    if (event['detail-type'] === 'CodeDeploy Deployment State-change Notification') {
      const outcome = await recordDeployment({ ...event.detail, at: new Date(event.time) }, deps);
      logger.info('deployment state recorded', { ...event.detail, outcome });
      return;
    }
    const change = { alarmName: event.detail.alarmName, state: event.detail.state.value, at: new Date(event.detail.state.timestamp) };
    const run = await respondToHeartbeatAlarm(change, env[OPERATIONS_ENV.rollbackWindowMinutes], deps, () => new Date());
    logger.info('heartbeat alarm handled', { change, decisions: run.decisions, failed: run.failed });
    for (const rollback of run.rolledBack) {
      logger.error('release rolled back', { ...rollback });
      const metric = metrics.singleMetric();
      metric.addDimension('function', rollback.functionName);
      metric.addMetric(OPERATIONS_METRICS.releaseRolledBack, MetricUnit.Count, 1);
    }
    // Failing the invocation makes EventBridge's async invoke retry; aliases already moved are then left alone.
    if (run.failed.length > 0) throw new Error(`could not roll back ${run.failed.map((f) => `${f.functionName} (${f.error})`).join(', ')}`);
  });
