// The environment variables lib/ hands to functions, built in one place from the contract in
// lambdas/environment.ts, so API and messaging functions can never disagree on where the tables and queues are.
import { Stack } from 'aws-cdk-lib';
import { SEARCH_INDEX_PREFIX, type SearchDomain } from './constructs/search-domain.js';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { ENV } from '../lambdas/environment.js';
import type { HeadroomConfig } from './config.js';
import type { JobQueue } from './constructs/job-queue.js';
import type { ShardedTable } from './constructs/sharded-table.js';

export interface PlatformEnvironmentProps {
  readonly config: HeadroomConfig;
  readonly shards: ShardedTable;
  readonly controlTable: ITable;
}

/** What every function reads at start-up: the shard topology, the control table and the runtime settings. */
export function platformEnvironment(stack: Stack, { config, shards, controlTable }: PlatformEnvironmentProps): Record<string, string> {
  return {
    [ENV.shards]: stack.toJsonString(shards.topology()),
    [ENV.controlTable]: controlTable.tableName,
    [ENV.directoryCacheSeconds]: String(config.runtime.directoryCacheSeconds),
    [ENV.flagCacheSeconds]: String(config.runtime.flagCacheSeconds),
    [ENV.idempotencyTtlSeconds]: String(config.runtime.idempotencyTtlHours * 3600),
    [ENV.defaultTier]: config.defaultTier,
    // Writers need the fence wait; the move runner and replicator the pacing and barrier settings.
    [ENV.tenantMove]: JSON.stringify(config.tenantMove),
  };
}

/**
 * HEADROOM_JOB_QUEUES: `{ "<queue name>": url }` for the given queues and, with `deadLetters`, their
 * dead-letter queues too (`{ "jobs": url, "jobs-dlq": url, … }`). A function gets only the queues it may use.
 */
export function jobQueuesEnvironment(
  stack: Stack,
  queues: readonly JobQueue[],
  { deadLetters }: { deadLetters: boolean },
): Record<string, string> {
  const urls = Object.fromEntries(
    queues.flatMap(({ definition, queue, deadLetterQueue }) => [
      [definition.name, queue.queueUrl],
      ...(deadLetters ? [[definition.deadLetterQueue, deadLetterQueue.queueUrl]] : []),
    ]),
  );
  return { [ENV.jobQueues]: stack.toJsonString(urls) };
}

/** HEADROOM_ADMISSION: `{ "<tier>": { "rate": jobs per second, "burst": jobs } }` for the relay's token buckets. */
export function admissionEnvironment(config: HeadroomConfig): Record<string, string> {
  return { [ENV.admission]: JSON.stringify(config.messaging.admission) };
}

/** HEADROOM_LLM: the routing settings, for the functions that call models (suggest-reply, admin-llm, the job worker). */
export function llmEnvironment(config: HeadroomConfig): Record<string, string> {
  return { [ENV.llm]: JSON.stringify(config.llm) };
}

/** HEADROOM_SEARCH: the OpenSearch domain endpoint and index layout, for the functions that search or index. */
export function searchEnvironment(domain: SearchDomain, config: HeadroomConfig): Record<string, string> {
  return {
    [ENV.search]: Stack.of(domain).toJsonString({
      engine: 'opensearch',
      endpoint: `https://${domain.domain.domainEndpoint}`,
      region: Stack.of(domain).region,
      indexPrefix: SEARCH_INDEX_PREFIX,
      shards: config.search.indexShards,
      replicas: config.search.indexReplicas,
      domainName: domain.domain.domainName,
    }),
  };
}
