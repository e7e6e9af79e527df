// The search composition: the engine behind the search port (OpenSearch on AWS, SQLite FTS5 locally), the
// generation registry, the indexer's dependencies, the index migration, and a tenant's search as the search route
// calls it. Only the functions that search, index or migrate import this file, so only their bundles carry the
// OpenSearch client; it is composed on first use from the platform's shared parts.
import { setTimeout as sleep } from 'node:timers/promises';
import type { DocumentClient } from '../adapters/aws/aws-clients.js';
import { DynamoShadowLedger } from '../adapters/aws/dynamo-shadow-ledger.js';
import { DynamoSearchGenerationStore } from '../adapters/aws/dynamo-search-generation-store.js';
import { DynamoTenantItems } from '../adapters/aws/dynamo-tenant-items.js';
import type { FlagAdmin } from '../core/flags/flag-admin.js';
import { indexMigration, type IndexMigration } from '../core/migrations/index-migration-admin.js';
import type { Clock, ControlStore, MigrationStore } from '../core/ports.js';
import { cachedGenerations, type GenerationView } from '../core/search/search-generations.js';
import type { IndexerDeps } from '../core/search/search-indexer.js';
import type { SearchIndex } from '../core/search/search-index.js';
import { searchTenant, type ShadowComparison, type ShadowTotals, type TenantSearch } from '../core/search/search-service.js';
import type { TenantItemSource } from '../core/tenancy/tenant-items.js';
import type { TenantContext } from '../core/tenancy/tenancy.js';
import type { Platform } from './platform.js';
import type { TenantDirectory } from '../core/tenancy/tenant-directory.js';
import type { ShardName } from '../core/tenancy/tenancy.js';
import type { SearchEngineSettings } from '../core/search/search-engine-settings.js';
import { tableOfShard } from '../core/tenancy/shard-topology.js';
import type { RuntimeEnvironment } from '../environment.js';
import { emit } from '../observability.js';
import { Problem } from '../core/problems.js';

export interface SearchServices {
  readonly index: SearchIndex;
  readonly generations: () => Promise<GenerationView>;
  readonly migration: IndexMigration;
  readonly indexer: IndexerDeps;
  recordShadow(comparison: ShadowComparison): Promise<void>;
  /** Shadow-read totals of a migration. */
  shadow(migrationId: string): Promise<ShadowTotals>;
  /** Emits the migration's progress (tenants cut over of total) for the operations dashboard. */
  reportProgress(migrationId: string): Promise<void>;
}

export interface SearchServicesOptions {
  readonly doc: DocumentClient;
  readonly env: RuntimeEnvironment;
  readonly control: ControlStore;
  readonly directory: TenantDirectory;
  readonly flagAdmin: FlagAdmin;
  readonly clock: Clock;
  /** Replaces the engine (tests). */
  readonly index?: SearchIndex;
  readonly migrations: MigrationStore;
  /** Seconds every instance may serve cached generations and flags; migrations wait this long after a change. */
  readonly settleSeconds?: number;
}

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
  const shadowLedger = new DynamoShadowLedger(doc, env.controlTable);
  const generations = cachedGenerations(generationStore, clock, env.flagCacheSeconds);
  const { migrations } = options;
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
      recordLag: emit.indexerLag,
    },
    shadow: (migrationId) => shadowLedger.totals(migrationId),
    async reportProgress(migrationId) {
      const record = await migrations.get(migrationId);
      if (record?.kind !== 'search-index') return;
      const tenants = await migrations.listTenants(migrationId);
      emit.migrationProgress(migrationId, tenants.length, tenants.filter((tenant) => tenant.data.cutOver === true).length);
    },
    async recordShadow(comparison) {
      emit.shadowSearch(comparison.candidate, comparison.matched, comparison.candidateMs);
      await shadowLedger.record(comparison);
    },
  };
}

/** This platform's search composition, built on first use and shared by every invocation of the instance. */
export const searchServicesOf = (platform: Platform): Promise<SearchServices> =>
  platform.parts.once(searchServicesOf, () => {
    const { doc, env, control, directory, clock, migrations, host } = platform.parts;
    return composeSearch({
      doc,
      env,
      control,
      directory,
      flagAdmin: platform.flagAdmin(),
      clock,
      migrations,
      ...(host.searchIndex ? { index: host.searchIndex } : {}),
      ...(host.searchSettleSeconds === undefined ? {} : { settleSeconds: host.searchSettleSeconds }),
    });
  });

/** A tenant's search over its read generation, with shadow reads on a migration's candidate. */
export const searchOf = (platform: Platform, tenant: TenantContext): TenantSearch => ({
  search: async (query, limit, cursor) => {
    const search = await searchServicesOf(platform);
    return searchTenant(
      {
        tenantId: tenant.tenantId,
        index: search.index,
        flags: platform.parts.flags,
        generations: search.generations,
        cursors: platform.cursors,
        random: Math.random,
        nowMs: () => performance.now(),
        recordShadow: search.recordShadow,
      },
      query,
      limit,
      cursor,
    );
  },
});
