// The synthetic heartbeat on AWS: a scheduled function that acts as a canary tenant through the public API
// (lambdas/handlers/heartbeat-canary.ts). Its successes keep the heartbeat alive when customers are quiet, and
// its failures are a customer outcome on-call is paged for. It reads its bearer token from a secret it alone
// may read; a missed or failed run is never retried, because a stale heartbeat is worth nothing.
import { Duration, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { canaryRetentionHoursSchema } from '../../lambdas/core/operations/operations-settings.js';
import { functionEnvironment } from '../../lambdas/function-environment.js';
import { functionDefinition } from '../../lambdas/functions.js';
import { HandlerFunction, type FunctionRuntimeDefaults } from './handler-function.js';

export interface SyntheticCanaryProps {
  /** Base URL of the API stage the canary calls. */
  readonly apiUrl: string;
  /** Time between runs (whole minutes). */
  readonly every: Duration;
  /** A run fails unless its comment is applied downstream within this long; shorter than `every`. */
  readonly deadline: Duration;
  /** Wait until the comment is searchable, not just accepted. */
  readonly awaitSearch: boolean;
  /** The canary deletes its own conversations not updated for this long (whole hours, 1-168). */
  readonly retention: Duration;
  readonly logRetention: RetentionDays;
  /** Sizes the manifest row leaves to configuration. */
  readonly runtime: FunctionRuntimeDefaults;
  /**
   * What happens to the function's log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

export class SyntheticCanary extends Construct {
  readonly function: HandlerFunction;
  /** The canary tenant's bearer token (SecretString = the token): set it after creating the tenant. */
  readonly tokenSecret: Secret;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: SyntheticCanaryProps) {
    super(scope, id);
    if (props.deadline.toSeconds() >= props.every.toSeconds()) {
      throw new Error(
        `a canary run must end before the next starts: deadline ${props.deadline.toSeconds()} s, every ${props.every.toSeconds()} s`,
      );
    }
    const retentionHours = props.retention.toHours({ integral: false });
    if (!canaryRetentionHoursSchema.safeParse(retentionHours).success) {
      throw new Error(`canary retention must be a whole number of hours in 1-168, got ${props.retention.toHumanString()}`);
    }

    this.tokenSecret = new Secret(this, 'Token', {
      description:
        'Headroom heartbeat canary: the bearer token of the canary tenant (npx headroom tenants create heartbeat-canary); see docs/runbooks/heartbeat-alarm.md',
    });
    Validations.of(this.tokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'This holds a Headroom tenant token, which Secrets Manager cannot rotate by itself: it is rotated with ' +
        '`npx headroom tokens rotate heartbeat-canary` and written back here (docs/runbooks/heartbeat-alarm.md).',
    });

    this.function = new HandlerFunction(this, 'Function', {
      handler: 'heartbeat-canary',
      environment: functionEnvironment(functionDefinition('heartbeat-canary'), {
        target: 'aws',
        json: (value) => Stack.of(this).toJsonString(value),
        canary: {
          apiUrl: props.apiUrl,
          tokenSecretArn: this.tokenSecret.secretArn,
          deadlineSeconds: props.deadline.toSeconds(),
          awaitSearch: props.awaitSearch,
          retentionHours,
        },
      }),
      runtime: props.runtime,
      // Room to publish the outcome after a run that used its whole deadline.
      timeout: props.deadline.plus(Duration.seconds(10)),
      logRetention: props.logRetention,
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    this.tokenSecret.grantRead(this.function);

    this.schedule = new Rule(this, 'Schedule', {
      description: 'Headroom heartbeat canary: one synthetic round trip per run',
      schedule: Schedule.rate(props.every),
      targets: [new LambdaFunction(this.function.lambda, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });
  }
}
