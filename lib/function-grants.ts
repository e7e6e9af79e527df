// The grants of a function, derived from its manifest row's needs (lambdas/functions.ts) in one place, once per
// function: a need adds its grant whatever the number of routes that share the function. Needs whose resources
// live inside one construct (the canary's token secret, the rollback action's aliases) are granted there.
import { Validations } from 'aws-cdk-lib';
import { TableGrants, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { LlmSettings } from '../lambdas/core/llm/llm-settings.js';
import type { QueueName } from '../lambdas/core/fairness/queue-names.js';
import type { GatewayApi } from './constructs/gateway-api.js';
import type { HandlerFunction } from './constructs/handler-function.js';
import type { JobQueue } from './constructs/job-queue.js';
import type { MigrationRunner } from './constructs/migration-runner.js';
import type { SearchDomain } from './constructs/search-domain.js';
import type { ShardedTable } from './constructs/sharded-table.js';
import { grantModelAccess } from './model-access.js';

/** What a stack can grant; a need whose resource is missing here fails the synth. */
export interface GrantableResources {
  readonly shards?: ShardedTable;
  readonly controlTable?: ITable;
  readonly jobQueues?: Readonly<Record<QueueName, JobQueue>>;
  readonly cursorSecret?: ISecret;
  readonly gateway?: GatewayApi;
  readonly search?: SearchDomain;
  readonly llm?: LlmSettings;
  readonly migrationRunner?: MigrationRunner;
}

export function grantNeeds(fn: HandlerFunction, resources: GrantableResources): void {
  const { needs, name } = fn.definition;
  const required = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`function ${name} needs ${what}, but its stack has none to grant`);
    return value;
  };
  if (needs.shards === 'read') required(resources.shards, 'the shard tables').grantReadData(fn);
  if (needs.shards === 'read-write') required(resources.shards, 'the shard tables').grantReadWriteData(fn);

  const control = needs.control;
  const controlTable = () => required(resources.controlTable, 'the control table');
  if (control?.access === 'read') TableGrants.fromTable(controlTable()).readData(fn);
  if (control?.access === 'read-write') TableGrants.fromTable(controlTable()).readWriteData(fn);
  if (control?.items) {
    Grant.addToPrincipal({
      grantee: fn,
      actions: control.items.actions.map((action) => `dynamodb:${action}`),
      resourceArns: [controlTable().tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...control.items.leadingKeys] } },
    });
  }

  if (needs.jobQueues) {
    const queues = required(resources.jobQueues, 'the job queues');
    for (const queue of Object.values(queues)) {
      if (needs.jobQueues === 'send') {
        queue.grantSendMessages(fn);
      } else {
        // Queue depths and ages, and redrive of a dead-letter queue back to its job queue.
        queue.grantReadAttributes(fn);
        queue.grantRedrive(fn);
      }
    }
    if (needs.jobQueues === 'inspect') grantReadMetrics(fn);
  }
  if (needs.cursorKey) required(resources.cursorSecret, 'the cursor secret').grantRead(fn);
  // Admin gives every new tenant its own API key on its tier's usage plan.
  if (needs.usageKeys) required(resources.gateway, 'the API (usage plans)').grantIssueUsageKeys(fn.role);
  for (const access of needs.search ?? []) {
    const search = required(resources.search, 'the search domain');
    if (access === 'query') search.grantSearch(fn.role);
    if (access === 'index') search.grantIndexing(fn.role);
    if (access === 'preflight') search.grantHealthCheck(fn.role);
  }
  if (needs.llm === 'invoke') grantModelAccess(fn, fn, required(resources.llm, 'the LLM settings'));
  if (needs.startMigrations) required(resources.migrationRunner, 'the migration runner').grantStart(fn);
}

/**
 * SQS does not expose the age of a queue's oldest message; the queue report reads it from CloudWatch.
 * GetMetricData supports no resource-level permissions, so it is granted on "*" (read-only metric values).
 */
function grantReadMetrics(fn: HandlerFunction): Grant {
  Validations.of(fn.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Besides the two X-Ray actions every function holds, the queue report needs cloudwatch:GetMetricData to read ' +
      "each queue's ApproximateAgeOfOldestMessage; CloudWatch offers no resource-level permission for it, and it " +
      'only reads metric values. Every SQS permission on this role is scoped to the job queues.',
  });
  return Grant.addToPrincipal({ grantee: fn, actions: ['cloudwatch:GetMetricData'], resourceArns: ['*'] });
}
