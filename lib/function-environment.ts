// What the CDK stacks hand the one environment builder (lambdas/function-environment.ts): the settings from config
// and the resources of the stack at hand, as CloudFormation tokens. A stack passes only what it has; a function
// whose manifest row needs something its stack did not pass fails the synth, naming the function and the need.
import { Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { EnvironmentInputs, PlatformSettings } from '../lambdas/function-environment.js';
import type { SearchEngineSettings } from '../lambdas/core/search/search-engine-settings.js';
import type { QueueName } from '../lambdas/core/fairness/queue-names.js';
import type { HeadroomConfig } from './config.js';
import { SEARCH_INDEX_PREFIX, type SearchDomain } from './constructs/search-domain.js';
import type { JobQueue } from './constructs/job-queue.js';
import type { ShardedTable } from './constructs/sharded-table.js';

export type AwsEnvironmentResources = Omit<EnvironmentInputs, 'target' | 'json' | 'settings' | 'shards' | 'controlTable'>;

/** The runtime settings every platform function reads, from config. */
export function platformSettings(config: HeadroomConfig): PlatformSettings {
  return {
    directoryCacheSeconds: config.runtime.directoryCacheSeconds,
    flagCacheSeconds: config.runtime.flagCacheSeconds,
    idempotencyTtlSeconds: config.runtime.idempotencyTtlHours * 3600,
    defaultTier: config.defaultTier,
    tenantMove: config.tenantMove,
    admission: config.messaging.admission,
    llm: config.llm,
    repair: config.repair,
  };
}

export interface StackEnvironmentProps {
  readonly config: HeadroomConfig;
  readonly shards: ShardedTable;
  readonly controlTable: ITable;
}

/** The builder's inputs for functions of `stack`; `resources` adds what this stack has (queues, secrets, search, …). */
export function awsEnvironmentInputs(
  stack: Stack,
  { config, shards, controlTable }: StackEnvironmentProps,
  resources: AwsEnvironmentResources = {},
): EnvironmentInputs {
  return {
    target: 'aws',
    json: (value) => stack.toJsonString(value),
    settings: platformSettings(config),
    shards: shards.topology(),
    controlTable: controlTable.tableName,
    ...resources,
  };
}

/** Queue URLs by name, for `jobQueues` needs. */
export function jobQueueUrls(queues: Readonly<Record<QueueName, JobQueue>>): Record<QueueName | `${QueueName}-dlq`, string> {
  return Object.fromEntries(
    Object.values(queues).flatMap(({ definition, queue, deadLetterQueue }) => [
      [definition.name, queue.queueUrl],
      [definition.deadLetterQueue, deadLetterQueue.queueUrl],
    ]),
  ) as Record<QueueName | `${QueueName}-dlq`, string>;
}

/** The OpenSearch domain endpoint and index layout, for `search` needs. */
export function searchEngineSettings(domain: SearchDomain, config: HeadroomConfig): SearchEngineSettings {
  return {
    engine: 'opensearch',
    endpoint: `https://${domain.domain.domainEndpoint}`,
    region: Stack.of(domain).region,
    indexPrefix: SEARCH_INDEX_PREFIX,
    shards: config.search.indexShards,
    replicas: config.search.indexReplicas,
    domainName: domain.domain.domainName,
  };
}
