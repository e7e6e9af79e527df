// EventBridge schedule (every minute): one synthetic heartbeat run as the canary tenant through the public API,
// published as HeartbeatSuccess (1/0) and, for a completed round trip, HeartbeatRoundTripMs.
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createCanaryApiClient } from '../adapters/http/canary-api-client.js';
import { CANARY_METRICS, runHeartbeatCanary, type CanaryOutcome } from '../core/operations/heartbeat-canary.js';
import { systemClock } from '../core/ports.js';
import { logger, metrics } from '../observability.js';
import { canaryEnvironmentSchema, OPERATIONS_ENV, readOperationsEnvironment } from '../operations-contract.js';

// Read on the first invocation, not at import: a bundle must load (and say what is missing) like every other function.
let env: ReturnType<typeof readOperationsEnvironment<typeof canaryEnvironmentSchema>> | undefined;
const environment = () => (env ??= readOperationsEnvironment(canaryEnvironmentSchema));
const secrets = new SecretsManagerClient({});
/** Leaves the function time to flush its metrics after a run that used its whole deadline. */
const FLUSH_MARGIN_MS = 3_000;
/** The token is re-read every few minutes, so rotating the canary's token needs no redeploy. */
const TOKEN_CACHE_MS = 5 * 60_000;
let token: { value: Promise<string>; readAt: number } | undefined;

function canaryToken(): Promise<string> {
  if (!token || Date.now() - token.readAt > TOKEN_CACHE_MS) {
    const value = secrets
      .send(new GetSecretValueCommand({ SecretId: environment()[OPERATIONS_ENV.canaryTokenSecretArn] }))
      .then((secret) => secret.SecretString?.trim() || Promise.reject(new Error('the canary token secret is empty')));
    value.catch(() => (token = undefined));
    token = { value, readAt: Date.now() };
  }
  return token.value;
}

function publish(outcome: CanaryOutcome): void {
  metrics.addMetadata('nonce', outcome.nonce);
  metrics.addMetric(CANARY_METRICS.success, MetricUnit.Count, outcome.ok ? 1 : 0);
  // A failed run has no round trip: publishing its elapsed time would make a dead write path look merely slow.
  if (outcome.ok) metrics.addMetric(CANARY_METRICS.roundTripMs, MetricUnit.Milliseconds, outcome.roundTripMs);
  if (outcome.ok) logger.info('heartbeat canary succeeded', { ...outcome });
  else logger.error('heartbeat canary failed', { ...outcome });
}

export const handler = middy<unknown, void>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (_event: unknown, context: Context) => {
    const env = environment();
    const deadline = new Date(
      Date.now() + Math.min(env[OPERATIONS_ENV.canaryDeadlineSeconds] * 1000, context.getRemainingTimeInMillis() - FLUSH_MARGIN_MS),
    );
    const outcome = await canaryToken().then(
      (value) =>
        runHeartbeatCanary({
          api: createCanaryApiClient({ baseUrl: env[OPERATIONS_ENV.canaryApiUrl], token: value }),
          clock: systemClock,
          sleep: sleep,
          deadline,
          nonce: randomBytes(12).toString('hex'),
          awaitSearch: env[OPERATIONS_ENV.canaryAwaitSearch],
        }),
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
    publish(outcome);
  });
