// The environment contract of the two operations functions (the synthetic canary and the rollback action): the
// environment builder (lambdas/function-environment.ts) sets the variables these schemas read, and each function reads
// them on its first invocation, so a missing or malformed one fails that invocation naming the variable, while the
// bundle still loads bare. The metrics they publish are declared with all others in lambdas/telemetry.ts.
import * as z from 'zod';
import {
  canaryDeadlineSecondsSchema,
  canaryRetentionHoursSchema,
  rollbackWindowMinutesSchema,
} from './core/operations/operations-settings.js';
import { ENV, jsonOf } from './environment.js';

export const OPERATIONS_FUNCTIONS = ['heartbeat-canary', 'rollback-action'] as const;
export type OperationsFunctionName = (typeof OPERATIONS_FUNCTIONS)[number];

export const OPERATIONS_ENV = {
  /** Base URL of the API stage the canary calls, ending in a slash. */
  canaryApiUrl: 'HEADROOM_CANARY_API_URL',
  /** Secrets Manager secret holding the canary tenant's bearer token (the plain token as SecretString). */
  canaryTokenSecretArn: 'HEADROOM_CANARY_TOKEN_SECRET_ARN',
  canaryDeadlineSeconds: 'HEADROOM_CANARY_DEADLINE_SECONDS',
  canaryAwaitSearch: 'HEADROOM_CANARY_AWAIT_SEARCH',
  /** The canary deletes its own conversations not updated for this many hours. */
  canaryRetentionHours: 'HEADROOM_CANARY_RETENTION_HOURS',
  /** JSON `{ "<deployment group name>": { "functionName": …, "aliasName": … } }`: what the rollback action may move. */
  releaseTargets: 'HEADROOM_RELEASE_TARGETS',
  rollbackWindowMinutes: 'HEADROOM_ROLLBACK_WINDOW_MINUTES',
  /** Name of the composite alarm whose ALARM state triggers the rollback action. */
  heartbeatAlarmName: 'HEADROOM_HEARTBEAT_ALARM_NAME',
} as const;

export const releaseTargetSchema = z.strictObject({ functionName: z.string().min(1), aliasName: z.string().min(1) });

export const canaryEnvironmentSchema = z.object({
  [OPERATIONS_ENV.canaryApiUrl]: z.url(),
  [OPERATIONS_ENV.canaryTokenSecretArn]: z.string().startsWith('arn:'),
  [OPERATIONS_ENV.canaryDeadlineSeconds]: z.coerce.number().pipe(canaryDeadlineSecondsSchema),
  [OPERATIONS_ENV.canaryAwaitSearch]: z.enum(['true', 'false']).transform((value) => value === 'true'),
  [OPERATIONS_ENV.canaryRetentionHours]: z.coerce.number().pipe(canaryRetentionHoursSchema),
});

export const rollbackEnvironmentSchema = z.object({
  /** The control table holds the release ledger and the rollback history. */
  [ENV.controlTable]: z.string().min(3),
  [OPERATIONS_ENV.releaseTargets]: jsonOf(z.record(z.string(), releaseTargetSchema), OPERATIONS_ENV.releaseTargets),
  [OPERATIONS_ENV.rollbackWindowMinutes]: z.coerce.number().pipe(rollbackWindowMinutesSchema),
  [OPERATIONS_ENV.heartbeatAlarmName]: z.string().min(1),
});

/** Parses one function's environment; the error names the variables at fault. */
export function readOperationsEnvironment<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid operations environment: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
