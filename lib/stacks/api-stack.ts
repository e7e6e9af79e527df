// The request path: REST API → token authorizer → one function per handler, each holding exactly the grants
// its routes need. Routes, authorisation and shard access all come from lambdas/routes.ts.
import { CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ENV } from '../../lambdas/environment.js';
import type { QueueName } from '../../lambdas/queues.js';
import { FUNCTION_NAMES, ROUTES, type FunctionName, type Route } from '../../lambdas/routes.js';
import type { HeadroomConfig } from '../config.js';
import { jobQueuesEnvironment, platformEnvironment } from '../function-environment.js';
import { API_URL_OUTPUT } from '../stack-names.js';
import { ApiFunction } from '../constructs/api-function.js';
import { GatewayApi } from '../constructs/gateway-api.js';
import type { JobQueue } from '../constructs/job-queue.js';
import type { ShardedTable } from '../constructs/sharded-table.js';

/** Functions that issue or verify pagination cursors (conversations, comments, tenants), and so read the key. */
const CURSOR_SIGNERS: readonly FunctionName[] = ['list-conversations', 'get-conversation', 'admin-tenants'];

export interface ApiStackProps extends StackProps {
  readonly config: HeadroomConfig;
  readonly shards: ShardedTable;
  readonly controlTable: Table;
  /** The job queues (and their dead-letter queues) that admin reports on and redrives. */
  readonly jobQueues: Readonly<Record<QueueName, JobQueue>>;
}

export class ApiStack extends Stack {
  readonly gateway: GatewayApi;
  readonly functions: Readonly<Record<FunctionName | 'authorizer', ApiFunction>>;
  readonly cursorSecret: Secret;

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
    const functionProps = {
      memorySize: config.runtime.memoryMb,
      timeout: Duration.seconds(config.runtime.timeoutSeconds),
      logRetention,
    };

    // The authorizer comes first: the API needs it, and the other functions need the API's usage plans.
    const authorizer = new ApiFunction(this, 'authorizer', { handler: 'authorizer', environment, ...functionProps });
    controlTable.grants.readData(authorizer);

    this.gateway = new GatewayApi(this, 'Api', {
      stageName: config.api.stageName,
      throttle: { rateLimit: config.api.throttleRateLimit, burstLimit: config.api.throttleBurstLimit },
      authorizer: authorizer.lambda,
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

    for (const route of ROUTES) {
      const fn = handlers[route.handler];
      grantShardAccess(route, shards, fn);
      grantControlAccess(route, controlTable, fn);
      this.gateway.addRoute(route, fn.lambda);
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
