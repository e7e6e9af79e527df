// The request path: REST API → token authorizer → one function per route handler, each holding exactly the grants
// and environment its manifest row (lambdas/functions.ts) needs. Routes and authorisation come from lambdas/routes.ts.
import { CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { functionEnvironment } from '../../lambdas/function-environment.js';
import { functionDefinition, functionsTriggeredBy, type ApiFunctionName, type FunctionName } from '../../lambdas/functions.js';
import type { QueueName } from '../../lambdas/core/fairness/queue-names.js';
import { ROUTES } from '../../lambdas/routes.js';
import { functionRuntimeDefaults, type HeadroomConfig } from '../config.js';
import { removalPolicyOf } from '../removal-policy.js';
import { awsEnvironmentInputs, jobQueueUrls, searchEngineSettings } from '../function-environment.js';
import { grantNeeds } from '../function-grants.js';
import { API_URL_OUTPUT } from '../stack-names.js';
import { ApiFunction } from '../constructs/api-function.js';
import { GatewayApi } from '../constructs/gateway-api.js';
import type { JobQueue } from '../constructs/job-queue.js';
import type { MigrationRunner } from '../constructs/migration-runner.js';
import type { SearchDomain } from '../constructs/search-domain.js';
import { SafeReleases } from '../constructs/safe-function.js';
import type { ShardedTable } from '../constructs/sharded-table.js';

export interface ApiStackProps extends StackProps {
  readonly config: HeadroomConfig;
  readonly shards: ShardedTable;
  readonly controlTable: Table;
  /** The job queues (and their dead-letter queues) that admin reports on and redrives. */
  readonly jobQueues: Readonly<Record<QueueName, JobQueue>>;
  /** The search domain the search function reads and admin checks before migrations. */
  readonly search: SearchDomain;
  /** Admin starts migrations (search generations, tenant moves) on it. */
  readonly migrationRunner: MigrationRunner;
  /**
   * Metric alarms that stop and roll back a release while they fire (`operations.deployment.gateOnHeartbeat`).
   * @default - releases are judged by their own version's alarms only
   */
  readonly releaseGates?: readonly IAlarm[];
}

export class ApiStack extends Stack {
  readonly gateway: GatewayApi;
  /** Every function behind the API, and the authorizer, by manifest name. */
  readonly functions: Readonly<Record<ApiFunctionName, ApiFunction>>;
  readonly cursorSecret: Secret;
  /** CodeDeploy application, canary configuration and gating alarms every function is released with. */
  readonly releases: SafeReleases;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, shards, controlTable, jobQueues } = props;
    const logRetention = config.logRetentionDays as RetentionDays;

    this.cursorSecret = new Secret(this, 'CursorSecret', {
      description: 'Headroom: HMAC key that signs opaque pagination cursors',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(this.cursorSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The key signs short-lived pagination cursors, not credentials: nothing it protects outlives a listing ' +
        'session, and rotating it only invalidates cursors in flight. It is rotated by redeploying when needed.',
    });

    // Every function reaches callers through its `live` alias and a CodeDeploy canary (lib/constructs/safe-function.ts).
    const { deployment } = config.operations;
    this.releases = new SafeReleases(this, 'Releases', {
      alarmNaming: config.operations.alarms,
      canaryPercent: deployment.canaryPercent,
      canaryInterval: Duration.minutes(deployment.canaryMinutes),
      maxVersionErrorsPerMinute: deployment.maxVersionErrorsPerMinute,
      minVersionSuccessPercent: deployment.minVersionSuccessPercent,
      gatingAlarms: deployment.gateOnHeartbeat ? (props.releaseGates ?? []) : [],
    });
    const grantable = {
      shards,
      controlTable,
      jobQueues,
      cursorSecret: this.cursorSecret,
      search: props.search,
      llm: config.llm,
      migrationRunner: props.migrationRunner,
    };
    const inputs = (gateway?: GatewayApi) =>
      awsEnvironmentInputs(
        this,
        { config, shards, controlTable },
        {
          jobQueues: jobQueueUrls(jobQueues),
          cursor: { secretArn: this.cursorSecret.secretArn },
          search: searchEngineSettings(props.search, config),
          migrationRunnerArn: props.migrationRunner.stateMachineArn,
          ...(gateway ? { usagePlans: gateway.usagePlanNames() } : {}),
        },
      );
    const apiFunction = (name: FunctionName, gateway?: GatewayApi) => {
      const fn = new ApiFunction(this, name, {
        handler: name,
        environment: functionEnvironment(functionDefinition(name), inputs(gateway)),
        runtime: functionRuntimeDefaults(config),
        logRetention,
        logRemovalPolicy: removalPolicyOf(config),
        releases: this.releases,
      });
      grantNeeds(fn, { ...grantable, ...(gateway ? { gateway } : {}) });
      return fn;
    };

    // The authorizer comes first: the API needs it, and the other functions need the API's usage plans.
    const authorizer = apiFunction('authorizer');
    this.gateway = new GatewayApi(this, 'Api', {
      stageName: config.api.stageName,
      throttle: { rateLimit: config.api.throttleRateLimit, burstLimit: config.api.throttleBurstLimit },
      authorizer: authorizer.alias,
      authorizerCacheTtl: Duration.seconds(config.api.authorizerCacheSeconds),
      tiers: config.tiers,
      logRetention,
      logRemovalPolicy: removalPolicyOf(config),
    });
    const handlers: Record<string, ApiFunction> = Object.fromEntries(
      functionsTriggeredBy('api').map(({ name }) => [name, apiFunction(name, this.gateway)]),
    );
    this.functions = { ...handlers, authorizer } as Record<ApiFunctionName, ApiFunction>;
    for (const route of ROUTES) {
      const fn = handlers[route.handler];
      if (!fn)
        throw new Error(`route ${route.method} ${route.path} names ${route.handler}, which is not an api function in lambdas/functions.ts`);
      this.gateway.addRoute(route, fn.alias);
    }

    new CfnOutput(this, API_URL_OUTPUT, {
      value: this.gateway.url,
      description: 'Base URL of the Headroom API stage (public /v1 routes and IAM-authorised /admin routes)',
    });
  }
}
