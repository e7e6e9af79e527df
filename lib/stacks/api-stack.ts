// The request path: REST API → token authorizer → one function per handler, each holding exactly the grants
// its routes need. Routes, authorisation and shard access all come from lambdas/routes.ts.
import { CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ENV } from '../../lambdas/environment.js';
import type { QueueName } from '../../lambdas/queues.js';
import { FUNCTION_NAMES, ROUTES, type FunctionName, type Route } from '../../lambdas/routes.js';
import type { HeadroomConfig } from '../config.js';
import { jobQueuesEnvironment, llmEnvironment, platformEnvironment, searchEnvironment } from '../function-environment.js';
import { grantModelAccess } from '../model-access.js';
import { API_URL_OUTPUT } from '../stack-names.js';
import { ApiFunction } from '../constructs/api-function.js';
import { GatewayApi } from '../constructs/gateway-api.js';
import type { JobQueue } from '../constructs/job-queue.js';
import type { MigrationRunner } from '../constructs/migration-runner.js';
import type { SearchDomain } from '../constructs/search-domain.js';
import { SafeReleases } from '../constructs/safe-function.js';
import type { ShardedTable } from '../constructs/sharded-table.js';

/** Functions that issue or verify pagination cursors (conversations, comments, tenants), and so read the key. */
const CURSOR_SIGNERS: readonly FunctionName[] = ['list-conversations', 'get-conversation', 'admin-tenants', 'search'];

/** Functions that read the search domain: public search and the migrations admin (generations, pre-flight). */
const SEARCH_FUNCTIONS: readonly FunctionName[] = ['search', 'admin-migrations'];

/** Functions that wake the migration runner. */
const MIGRATION_STARTERS: readonly FunctionName[] = ['admin-migrations', 'admin-moves'];

/** Functions that read the LLM routing settings: the model caller and the routing admin. */
const LLM_FUNCTIONS: readonly FunctionName[] = ['suggest-reply', 'admin-llm'];

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
   * Customers-cannot-write: while it is in alarm, releases stop and roll back (`operations.deployment.gateOnHeartbeat`).
   * @default - releases are judged by their own version's alarms only
   */
  readonly releaseGate?: IAlarm;
}

export class ApiStack extends Stack {
  readonly gateway: GatewayApi;
  readonly functions: Readonly<Record<FunctionName | 'authorizer', ApiFunction>>;
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

    const environment = platformEnvironment(this, { config, shards, controlTable });
    // Every function reaches callers through its `live` alias and a CodeDeploy canary (lib/constructs/safe-function.ts).
    const { deployment } = config.operations;
    this.releases = new SafeReleases(this, 'Releases', {
      canaryPercent: deployment.canaryPercent,
      canaryInterval: Duration.minutes(deployment.canaryMinutes),
      maxVersionErrorsPerMinute: deployment.maxVersionErrorsPerMinute,
      minVersionSuccessPercent: deployment.minVersionSuccessPercent,
      gatingAlarms: props.releaseGate && deployment.gateOnHeartbeat ? [props.releaseGate] : [],
    });
    const functionProps = {
      memorySize: config.runtime.memoryMb,
      timeout: Duration.seconds(config.runtime.timeoutSeconds),
      logRetention,
      releases: this.releases,
    };

    // The authorizer comes first: the API needs it, and the other functions need the API's usage plans.
    const authorizer = new ApiFunction(this, 'authorizer', { handler: 'authorizer', environment, ...functionProps });
    controlTable.grants.readData(authorizer);

    this.gateway = new GatewayApi(this, 'Api', {
      stageName: config.api.stageName,
      throttle: { rateLimit: config.api.throttleRateLimit, burstLimit: config.api.throttleBurstLimit },
      authorizer: authorizer.alias,
      authorizerCacheTtl: Duration.seconds(config.api.authorizerCacheSeconds),
      tiers: config.tiers,
      logRetention,
    });

    const handlers = Object.fromEntries(
      FUNCTION_NAMES.filter((name): name is FunctionName => name !== 'authorizer').map((name) => {
        const fn = new ApiFunction(this, name, {
          handler: name,
          environment: {
            ...environment,
            ...(CURSOR_SIGNERS.includes(name) ? { [ENV.cursorSecretArn]: this.cursorSecret.secretArn } : {}),
            ...(name === 'admin-tenants' ? { [ENV.usagePlans]: JSON.stringify(this.gateway.usagePlanNames()) } : {}),
            ...(name === 'admin-queues' ? jobQueuesEnvironment(this, Object.values(jobQueues), { deadLetters: true }) : {}),
            ...(LLM_FUNCTIONS.includes(name) ? llmEnvironment(config) : {}),
            ...(SEARCH_FUNCTIONS.includes(name) ? searchEnvironment(props.search, config) : {}),
            ...(MIGRATION_STARTERS.includes(name) ? { [ENV.migrationRunnerArn]: props.migrationRunner.stateMachineArn } : {}),
          },
          ...functionProps,
        });
        return [name, fn];
      }),
    ) as Record<FunctionName, ApiFunction>;
    this.functions = { ...handlers, authorizer };

    for (const name of CURSOR_SIGNERS) this.cursorSecret.grantRead(handlers[name]);
    // Admin gives every new tenant its own API key on its tier's usage plan.
    this.gateway.grantIssueUsageKeys(handlers['admin-tenants'].role);
    // Admin reports queue depths and ages, and redrives a dead-letter queue back to its job queue.
    for (const queue of Object.values(jobQueues)) {
      queue.grantReadAttributes(handlers['admin-queues']);
      queue.grantRedrive(handlers['admin-queues']);
    }
    grantReadMetrics(handlers['admin-queues']);
    // Suggest-reply calls the configured models and charges each tenant's daily token count in the control table.
    grantModelAccess(this, handlers['suggest-reply'], config.llm);
    grantTokenLedger(handlers['suggest-reply'], controlTable);

    // Search reads the indexes, and counts shadow-read comparisons under its migration's items only.
    props.search.grantSearch(handlers.search.role);
    grantShadowCounters(handlers.search, controlTable);
    props.search.grantHealthCheck(handlers['admin-migrations'].role);
    for (const name of MIGRATION_STARTERS) props.migrationRunner.grantStart(handlers[name]);

    for (const route of ROUTES) {
      const fn = handlers[route.handler];
      grantShardAccess(route, shards, fn);
      grantControlAccess(route, controlTable, fn);
      this.gateway.addRoute(route, fn.alias);
    }

    new CfnOutput(this, API_URL_OUTPUT, {
      value: this.gateway.url,
      description: 'Base URL of the Headroom API stage (public /v1 routes and IAM-authorised /admin routes)',
    });
  }
}

function grantShardAccess(route: Route, shards: ShardedTable, fn: ApiFunction): void {
  if (route.shardAccess === 'read') shards.grantReadData(fn);
  if (route.shardAccess === 'write') shards.grantReadWriteData(fn);
}

/** Tenant functions resolve the caller through the tenant directory; only admin changes it. */
function grantControlAccess(route: Route, controlTable: Table, fn: ApiFunction): void {
  if (route.auth === 'tenant') controlTable.grants.readData(fn);
  if (route.auth === 'admin') controlTable.grants.readWriteData(fn);
}

/**
 * SQS does not expose the age of a queue's oldest message; the queue report reads it from CloudWatch.
 * GetMetricData supports no resource-level permissions, so it is granted on "*" (read-only metric values).
 */
function grantReadMetrics(fn: ApiFunction): Grant {
  Validations.of(fn.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Besides the two X-Ray actions every function holds, the queue report needs cloudwatch:GetMetricData to read ' +
      "each queue's ApproximateAgeOfOldestMessage; CloudWatch offers no resource-level permission for it, and it " +
      'only reads metric values. Every SQS permission on this role is scoped to the job queues.',
  });
  return Grant.addToPrincipal({ grantee: fn, actions: ['cloudwatch:GetMetricData'], resourceArns: ['*'] });
}

/** Shadow-read counters (`MIGRATION#<id>` / `SHADOW`): the only control-table items search may write. */
function grantShadowCounters(fn: ApiFunction, controlTable: Table): Grant {
  return Grant.addToPrincipal({
    grantee: fn,
    actions: ['dynamodb:UpdateItem'],
    resourceArns: [controlTable.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['MIGRATION#*'] } },
  });
}

/**
 * The token quota's ledger items (`LLMTOKENS#<tenant>`) only: a tenant-facing function reads the control table, but
 * may write nothing there except its tenants' token counts.
 */
function grantTokenLedger(fn: ApiFunction, controlTable: Table): Grant {
  return Grant.addToPrincipal({
    grantee: fn,
    actions: ['dynamodb:UpdateItem'],
    resourceArns: [controlTable.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LLMTOKENS#*'] } },
  });
}
