// The search composition: the engine behind the search port (OpenSearch on AWS, SQLite FTS5 locally), the
// generation registry, the indexer's dependencies and the index migration. lambdas/composition/platform.ts composes it on
// first use, so functions that never search pay nothing for it at cold start.
import { setTimeout as sleep } from 'node:timers/promises';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoMigrationStore } from '../adapters/aws/dynamo-migration-store.js';
import { DynamoSearchGenerationStore } from '../adapters/aws/dynamo-search-generation-store.js';
import { DynamoTenantItems } from '../adapters/aws/dynamo-tenant-items.js';
import type { FlagAdmin } from '../core/flags/flag-admin.js';
import { indexMigration, type IndexMigration } from '../core/migrations/index-migration.js';
import type { Clock, ControlStore, MigrationStore } from '../core/ports.js';
import { cachedGenerations, type GenerationView } from '../core/search/search-generations.js';
import type { IndexerDeps } from '../core/search/search-indexer.js';
import type { SearchIndex } from '../core/search/search-index.js';
import type { ShadowComparison } from '../core/search/search-service.js';
import type { TenantItemSource } from '../core/tenancy/tenant-items.js';
import type { TenantDirectory } from '../core/tenancy/tenant-directory.js';
import type { ShardName } from '../core/tenancy/tenancy.js';
import { tableOfShard, type RuntimeEnvironment, type SearchEngineSettings } from '../environment.js';
import { metrics } from '../observability.js';
import { OPERATIONS_METRICS } from '../operations-contract.js';
import { Problem } from '../core/problems.js';
import { controlKeys } from '../schema.js';

export interface SearchServices {
  readonly index: SearchIndex;
  readonly generations: () => Promise<GenerationView>;
  readonly migration: IndexMigration;
  readonly migrations: MigrationStore;
  readonly indexer: IndexerDeps;
  recordShadow(comparison: ShadowComparison): Promise<void>;
  /** Shadow-read totals of a migration. */
  shadow(migrationId: string): Promise<ShadowTotals>;
  /** Emits the migration's progress (tenants cut over of total) for the operations dashboard. */
  reportProgress(migrationId: string): Promise<void>;
}

export interface ShadowTotals {
  readonly compared: number;
  readonly mismatched: number;
  readonly controlAvgMs: number | null;
  readonly candidateAvgMs: number | null;
  readonly samples: unknown[];
}

export interface SearchServicesOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly env: RuntimeEnvironment;
  readonly control: ControlStore;
  readonly directory: TenantDirectory;
  readonly flagAdmin: FlagAdmin;
  readonly clock: Clock;
  /** Replaces the engine (tests). */
  readonly index?: SearchIndex;
  readonly migrations?: MigrationStore;
  /** Seconds every instance may serve cached generations and flags; migrations wait this long after a change. */
  readonly settleSeconds?: number;
}

/** Samples kept per migration for shadow-read mismatches. */
const SHADOW_SAMPLES = 20;

export async function openSearchIndex(settings: SearchEngineSettings | undefined): Promise<SearchIndex> {
  if (!settings) throw new Problem('internal', 'Search is not configured on this platform (HEADROOM_SEARCH is not set).');
  if (settings.engine === 'sqlite') {
    // The local engine is built by the embedded platform's host (lambdas/embedded-host.ts), never by a function:
    // the native SQLite module must not reach any Lambda bundle.
    throw new Problem('internal', `The SQLite search engine (${settings.file}) runs only inside the embedded platform (npm start).`);
  }
  const { OpenSearchSearchIndex, signedOpenSearchClient } = await import('../adapters/aws/opensearch-search-index.js');
  return new OpenSearchSearchIndex(signedOpenSearchClient(settings.endpoint, settings.region), {
    indexPrefix: settings.indexPrefix,
    shards: settings.shards,
    replicas: settings.replicas,
  });
}

export async function composeSearch(options: SearchServicesOptions): Promise<SearchServices> {
  const { doc, env, clock } = options;
  const index = options.index ?? (await openSearchIndex(env.search));
  const generationStore = new DynamoSearchGenerationStore(doc, env.controlTable);
  const generations = cachedGenerations(generationStore, clock, env.flagCacheSeconds);
  const migrations = options.migrations ?? new DynamoMigrationStore(doc, env.controlTable);
  const itemSources = new Map<ShardName, TenantItemSource>();
  const items = (shard: ShardName) => {
    let source = itemSources.get(shard);
    if (!source) {
      source = new DynamoTenantItems(doc, tableOfShard(env.shards, shard));
      itemSources.set(shard, source);
    }
    return source;
  };
  const preflight =
    env.search?.engine === 'opensearch' && env.search.domainName
      ? (await import('../adapters/aws/opensearch-preflight.js')).openSearchPreflight(
          env.search.domainName,
          env.search.endpoint,
          env.search.region,
        )
      : undefined;

  return {
    index,
    generations,
    migrations,
    migration: indexMigration({
      store: migrations,
      generations: generationStore,
      search: index,
      control: options.control,
      items,
      flags: options.flagAdmin,
      clock,
      // Both the registry and the read flag are cached per instance for flagCacheSeconds.
      settleSeconds: options.settleSeconds ?? env.flagCacheSeconds + 5,
      pageSize: 500,
      sleep: sleep,
      ...(preflight ? { preflight } : {}),
    }),
    indexer: {
      directory: options.directory,
      items,
      search: index,
      generations,
      ensured: new Set(),
      now: () => clock.now(),
      recordLag: (seconds) => metrics.addMetric(OPERATIONS_METRICS.indexerLagSeconds, MetricUnit.Seconds, Math.max(0, seconds)),
    },
    shadow: (migrationId) => shadowTotals(doc, env.controlTable, migrationId),
    async reportProgress(migrationId) {
      const record = await migrations.get(migrationId);
      if (record?.kind !== 'search-index') return;
      const tenants = await migrations.listTenants(migrationId);
      const metric = metrics.singleMetric();
      metric.addDimension('migration', migrationId);
      metric.addMetric(OPERATIONS_METRICS.migrationTenantsTotal, MetricUnit.Count, tenants.length);
      metric.addMetric(
        OPERATIONS_METRICS.migrationTenantsCutOver,
        MetricUnit.Count,
        tenants.filter((tenant) => tenant.data.cutOver === true).length,
      );
    },
    async recordShadow(comparison) {
      const metric = metrics.singleMetric();
      metric.addDimension('candidate', comparison.candidate);
      metric.addMetric('ShadowSearches', MetricUnit.Count, 1);
      metric.addMetric('ShadowMismatches', MetricUnit.Count, comparison.matched ? 0 : 1);
      metric.addMetric('ShadowCandidateMs', MetricUnit.Milliseconds, comparison.candidateMs);
      const sample = comparison.matched
        ? undefined
        : {
            tenantId: comparison.tenantId,
            onlyControl: comparison.onlyControl.slice(0, 5),
            onlyCandidate: comparison.onlyCandidate.slice(0, 5),
            error: comparison.error ?? null,
          };
      await doc
        .send(
          new UpdateCommand({
            TableName: env.controlTable,
            Key: controlKeys.migrationShadow(comparison.migrationId),
            UpdateExpression: `ADD compared :one, mismatched :miss, controlMs :cms, candidateMs :ams${sample ? ' SET samples = list_append(if_not_exists(samples, :empty), :sample)' : ''}`,
            ...(sample ? { ConditionExpression: 'attribute_not_exists(samples) OR size(samples) < :cap' } : {}),
            ExpressionAttributeValues: {
              ':one': 1,
              ':miss': comparison.matched ? 0 : 1,
              ':cms': Math.round(comparison.controlMs),
              ':ams': Math.round(comparison.candidateMs),
              ...(sample ? { ':empty': [], ':sample': [sample], ':cap': SHADOW_SAMPLES } : {}),
            },
          }),
        )
        .catch(async (error: unknown) => {
          // Sample list full: still count the comparison.
          if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
          await doc.send(
            new UpdateCommand({
              TableName: env.controlTable,
              Key: controlKeys.migrationShadow(comparison.migrationId),
              UpdateExpression: 'ADD compared :one, mismatched :miss, controlMs :cms, candidateMs :ams',
              ExpressionAttributeValues: {
                ':one': 1,
                ':miss': 1,
                ':cms': Math.round(comparison.controlMs),
                ':ams': Math.round(comparison.candidateMs),
              },
            }),
          );
        });
    },
  };
}

async function shadowTotals(doc: DynamoDBDocumentClient, table: string, migrationId: string): Promise<ShadowTotals> {
  const { Item } = await doc.send(new GetCommand({ TableName: table, Key: controlKeys.migrationShadow(migrationId) }));
  const compared = (Item?.compared as number | undefined) ?? 0;
  return {
    compared,
    mismatched: (Item?.mismatched as number | undefined) ?? 0,
    controlAvgMs: compared ? Math.round(((Item?.controlMs as number) ?? 0) / compared) : null,
    candidateAvgMs: compared ? Math.round(((Item?.candidateMs as number) ?? 0) / compared) : null,
    samples: (Item?.samples as unknown[] | undefined) ?? [],
  };
}
