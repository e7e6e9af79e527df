// The composition root: reads the runtime environment once per instance and builds the adapters behind the
// core's ports. On AWS and in the embedded platform this is the same code; only the environment differs
// (locally AWS_ENDPOINT_URL_DYNAMODB points the SDK at DynamoDB Local).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AsyncLocalStorageTransactionContextPropagator, OpenFeature, type Client } from '@openfeature/server-sdk';
import { v7 as uuidv7 } from 'uuid';
import { ApiGatewayUsageKeys } from '../adapters/aws/api-gateway-usage-keys.js';
import { DynamoControlStore } from '../adapters/aws/dynamo-control-store.js';
import { DynamoConversationStore } from '../adapters/aws/dynamo-conversation-store.js';
import { DynamoFlagStore } from '../adapters/aws/dynamo-flag-store.js';
import { DynamoMigrationStore } from '../adapters/aws/dynamo-migration-store.js';
import { DynamoUsageStore } from '../adapters/aws/dynamo-usage-store.js';
import { cloudWatchOldestAge, SqsQueueInspector, type OldestAge } from '../adapters/aws/sqs-queue-inspector.js';
import { SqsJobQueue } from '../adapters/aws/sqs-job-queue.js';
import { relayChanges, type RelayResult } from '../core/jobs/change-relay.js';
import type { ChangeRecord } from '../core/jobs/change-capture.js';
import { createOverflowRouter } from '../core/fairness/overflow-router.js';
import { localUsageKeys } from '../adapters/local/local-usage-keys.js';
import { conversationService, type ConversationService } from '../core/conversations/conversations.js';
import { createCursorCodec, type CursorCodec } from '../core/conversations/cursor.js';
import { flagAdmin, type FlagAdmin } from '../core/flags/flag-admin.js';
import { createFlagCache } from '../core/flags/flag-cache.js';
import { HeadroomFlagProvider } from '../core/flags/flag-provider.js';
import {
  systemClock,
  type Clock,
  type ControlStore,
  type ConversationStore,
  type FlagStore,
  type IdGenerator,
  type JobQueue,
  type MigrationStore,
  type QueueInspector,
  type UsageKeys,
  type UsageStore,
} from '../core/ports.js';
import { tenantAdmin, type TenantAdmin } from '../core/tenancy/tenant-admin.js';
import { DynamoRouteDrainStore } from '../adapters/aws/dynamo-route-drain-store.js';
import { DynamoSummaryStore } from '../adapters/aws/dynamo-summary-store.js';
import { DynamoTokenLedger } from '../adapters/aws/dynamo-token-ledger.js';
import type { SummaryJobDeps, SummaryStore } from '../core/llm/conversation-summary.js';
import { createTokenQuota, type TokenQuota } from '../core/llm/token-quota.js';
import type { LlmServices } from './llm.js';
import type { OperationsSnapshot } from '../core/operations/operations-snapshot.js';
import { createTenantDirectory, type TenantDirectory } from '../core/tenancy/tenant-directory.js';
import { fencedConversationStore } from '../core/tenancy/placement-fence.js';
import type { MoveServices } from './moves.js';
import type { SearchServices } from './search.js';
import type { SearchIndex } from '../core/search/search-index.js';
import type { Playbook, RunOutcome } from '../core/migrations/migration-runner.js';
import type { TenantContext } from '../core/tenancy/tenancy.js';
import { DEFAULT_TENANT_MOVE_SETTINGS, readRuntimeEnvironment, tableOfShard, type RuntimeEnvironment } from '../environment.js';
import { heartbeatMetrics, logger, metrics } from '../observability.js';
import { Problem } from '../core/problems.js';
import { embeddedHost } from '../embedded-host.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';

export interface Platform {
  readonly env: RuntimeEnvironment;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly control: ControlStore;
  readonly directory: TenantDirectory;
  readonly usageKeys: UsageKeys;
  readonly flagStore: FlagStore;
  /** OpenFeature client; the tenant is taken from the transaction context the handler chain sets. */
  readonly flags: Client;
  /** The conversation store of the tenant's own shard, for this request only. */
  conversationStore(tenant: TenantContext): ConversationStore;
  cursors(): Promise<CursorCodec>;
  conversations(tenant: TenantContext): ConversationService;
  tenantAdmin(): TenantAdmin;
  flagAdmin(): FlagAdmin;
  readonly usage: UsageStore;
  /** Relays a batch of committed changes to the job queues, through this instance's admission buckets. */
  relay(records: readonly ChangeRecord[]): Promise<RelayResult>;
  queues(): QueueInspector;
  /** Search: engine, generations, indexer, index migration (composed on first use). */
  search(): Promise<SearchServices>;
  /** Every migration's state (search index migrations and tenant moves), in the control table. */
  readonly migrations: MigrationStore;
  /** Wakes the migration runner for a migration (Step Functions on AWS, the in-process loop locally). */
  wakeMigration(migrationId: string): Promise<void>;
  /** Advances one migration of any kind through its playbook until it waits, finishes or spends `budgetMs`. */
  runMigration(migrationId: string, budgetMs: number): Promise<RunOutcome>;
  /** Tenant moves between shards: operator commands, the playbook and the move replicator (composed on first use). */
  moves(): Promise<MoveServices>;
  /** AI help (router, route drains), composed on first use so functions that never call a model pay nothing for it. */
  llm(): Promise<LlmServices>;
  /** Per-tenant daily AI token quotas. */
  tokenQuota(): TokenQuota;
  /** The tenant's conversation summaries, on its own shard next to its conversations. */
  summaryStore(tenant: TenantContext): SummaryStore;
  /** What the conversation summary job processor needs (the background lane). */
  summaryJobDeps(): SummaryJobDeps;
  /** Live operator numbers (heartbeats, latency, queues, …); null where the CloudWatch dashboard shows them instead. */
  operations(): Promise<OperationsSnapshot | null>;
}

export interface PlatformOverrides {
  readonly env?: RuntimeEnvironment;
  readonly clock?: Clock;
  readonly control?: ControlStore;
  readonly conversationStore?: (tenant: TenantContext) => ConversationStore;
  readonly flagStore?: FlagStore;
  readonly cursorKey?: string;
  readonly usageKeys?: UsageKeys;
  readonly jobQueue?: JobQueue;
  /** Where the age of a queue's oldest message comes from (CloudWatch on AWS). */
  readonly oldestAge?: OldestAge;
  /** Wakes the migration runner for a migration (the embedded platform's in-process loop; Step Functions on AWS). */
  readonly startMigration?: (migrationId: string) => Promise<void>;
  /** Replaces the search engine (tests); `searchSettleSeconds` shortens migrations' cache waits. */
  readonly searchIndex?: SearchIndex;
  readonly searchSettleSeconds?: number;
  /** Writes per second on a shard (the embedded platform counts its stream records; CloudWatch is not there). */
  readonly shardWriteRate?: (shard: string) => Promise<number | null>;
  /** The embedded platform's operations snapshot (its in-process metrics registry). */
  readonly operations?: () => Promise<OperationsSnapshot>;
}

/** Flag evaluation context for one request: the tenant, plus what targeting rules may match on. */
export function withFlagContext<T>(tenant: TenantContext, run: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    OpenFeature.setTransactionContext({ targetingKey: tenant.tenantId, tier: tenant.tier, group: tenant.group }, () =>
      run().then(resolve, reject),
    ),
  );
}

export function createPlatform(overrides: PlatformOverrides = {}): Platform {
  const env = overrides.env ?? readRuntimeEnvironment();
  const clock = overrides.clock ?? systemClock;
  const ids: IdGenerator = { next: () => uuidv7() };
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  const control = overrides.control ?? new DynamoControlStore(doc, env.controlTable);
  const flagStore = overrides.flagStore ?? new DynamoFlagStore(doc, env.controlTable);
  const usageKeys = overrides.usageKeys ?? (env.usagePlans ? new ApiGatewayUsageKeys(env.usagePlans) : localUsageKeys);
  const conversationStore =
    overrides.conversationStore ??
    ((tenant: TenantContext) => new DynamoConversationStore(doc, tableOfShard(env.shards, tenant.shard), tenant.tenantId, tenant.epoch));

  const flagCache = createFlagCache({
    load: () => flagStore.loadAll(),
    clock,
    ttlSeconds: env.flagCacheSeconds,
    onStale: (error, ageSeconds) => {
      logger.warn('flag store unreachable; serving the last good copy', { error: error as Error, ageSeconds: ageSeconds ?? null });
      metrics.addMetric('FlagStoreStale', MetricUnit.Count, 1);
    },
  });
  OpenFeature.setTransactionContextPropagator(new AsyncLocalStorageTransactionContextPropagator());
  OpenFeature.setProvider(new HeadroomFlagProvider(flagCache));
  const flags = OpenFeature.getClient();

  const sqs = new SQSClient({});
  const jobQueueUrls = () => {
    if (!env.jobQueues) throw new Error('HEADROOM_JOB_QUEUES is not set: this function has no job queues');
    return env.jobQueues;
  };
  let jobQueue = overrides.jobQueue;
  const directory = createTenantDirectory({ store: control, clock, ttlSeconds: env.directoryCacheSeconds });
  const router = createOverflowRouter(env.admission, clock);

  const summaryStore = (tenant: TenantContext): SummaryStore =>
    new DynamoSummaryStore(doc, tableOfShard(env.shards, tenant.shard), tenant.tenantId);
  const llmSettings = () => {
    if (!env.llm) throw new Problem('llm-unavailable', 'AI help is not configured on this platform (HEADROOM_LLM is not set).');
    return env.llm;
  };
  let llm: Promise<LlmServices> | undefined;
  const llmServices = () =>
    (llm ??= import('./llm.js').then(({ composeLlm }) =>
      composeLlm({
        settings: llmSettings(),
        clock,
        drainStore: new DynamoRouteDrainStore(doc, env.controlTable),
        drainCacheSeconds: env.flagCacheSeconds,
      }),
    )).catch((error: unknown) => {
      llm = undefined;
      throw error;
    });
  let quota: TokenQuota | undefined;
  const tokenQuota = () =>
    (quota ??= createTokenQuota(new DynamoTokenLedger(doc, env.controlTable), llmSettings().tenantTokensPerDay, clock));

  let moves: Promise<MoveServices> | undefined;
  let search: Promise<SearchServices> | undefined;
  const migrations = new DynamoMigrationStore(doc, env.controlTable);
  let cursorCodec: Promise<CursorCodec> | undefined;
  const cursors = () => (cursorCodec ??= loadCursorKey(env, overrides.cursorKey).then(createCursorCodec));

  const self: Platform = {
    env,
    clock,
    ids,
    control,
    directory,
    usageKeys,
    flagStore,
    flags,
    conversationStore,
    cursors,
    conversations: (tenant) =>
      conversationService({
        tenant,
        // Writes follow the tenant across a shard move: a fenced tenant waits, a stale route is re-resolved.
        store: fencedConversationStore(tenant, {
          directory,
          storeFor: conversationStore,
          clock,
          maxWaitMs: (env.tenantMove ?? DEFAULT_TENANT_MOVE_SETTINGS).fenceWaitMs,
          onRefused: (refusal) => {
            const metric = metrics.singleMetric();
            metric.addDimension('state', refusal.state);
            metric.addMetric('PlacementRefused', MetricUnit.Count, 1);
          },
        }),
        clock,
        ids,
        cursors,
        idempotencyTtlSeconds: env.idempotencyTtlSeconds,
        outcomes: heartbeatMetrics,
        flags,
      }),
    tenantAdmin: () => tenantAdmin({ store: control, clock, topology: env.shards, defaultTier: env.defaultTier, usageKeys }),
    flagAdmin: () => flagAdmin({ store: flagStore, clock }),
    usage: new DynamoUsageStore(doc, env.controlTable),
    relay: (records) =>
      relayChanges(records, {
        directory,
        router,
        queue: (jobQueue ??= new SqsJobQueue(sqs, jobQueueUrls())),
        defaultTier: env.defaultTier,
      }),
    queues: () => new SqsQueueInspector(sqs, jobQueueUrls(), overrides.oldestAge ?? cloudWatchOldestAge()),
    moves: () =>
      (moves ??= import('./moves.js').then(async ({ composeMoves }) => {
        return composeMoves({
          doc,
          env,
          control,
          clock,
          startRunner: (id) => self.wakeMigration(id),
          ...(overrides.shardWriteRate ? { writeRate: overrides.shardWriteRate } : {}),
        });
      })),
    search: () =>
      (search ??= import('./search.js').then(({ composeSearch }) =>
        composeSearch({
          doc,
          env,
          control,
          directory,
          flagAdmin: flagAdmin({ store: flagStore, clock }),
          clock,
          migrations,
          ...(overrides.searchIndex ? { index: overrides.searchIndex } : {}),
          ...(overrides.searchSettleSeconds === undefined ? {} : { settleSeconds: overrides.searchSettleSeconds }),
        }),
      )).catch((error: unknown) => {
        search = undefined;
        throw error;
      }),
    migrations,
    wakeMigration: async (migrationId) => {
      if (overrides.startMigration) return overrides.startMigration(migrationId);
      if (!env.migrationRunnerArn)
        throw new Problem('internal', 'No migration runner is configured (HEADROOM_MIGRATION_RUNNER_ARN is not set).');
      const { stepFunctionsLauncher } = await import('../adapters/aws/sfn-migration-launcher.js');
      return stepFunctionsLauncher(env.migrationRunnerArn)(migrationId);
    },
    runMigration: async (migrationId, budgetMs) => {
      const { runMigrationSteps } = await import('../core/migrations/migration-runner.js');
      const playbooks = [(await self.moves()).playbook, ...(env.search ? [(await self.search()).migration.playbook] : [])];
      return runMigrationSteps(migrationId, { store: migrations, playbooks: playbooks as Playbook<never>[], clock, budgetMs });
    },
    llm: llmServices,
    tokenQuota,
    summaryStore,
    summaryJobDeps: () => ({
      resolveTenant: (tenantId) => directory.resolve(tenantId),
      conversations: conversationStore,
      summaries: summaryStore,
      enabled: env.llm !== undefined,
      router: async () => (await llmServices()).router,
      quota: {
        ensureAvailable: (tenantId, tier) => tokenQuota().ensureAvailable(tenantId, tier),
        record: (tenantId, tokens) => tokenQuota().record(tenantId, tokens),
      },
      now: () => clock.now(),
      onShed: (reason) => {
        const metric = metrics.singleMetric();
        metric.addDimensions({ reason });
        metric.addMetric('SummaryShed', MetricUnit.Count, 1);
      },
    }),
    operations: async () => (overrides.operations ? overrides.operations() : null),
  };
  return self;
}

async function loadCursorKey(env: RuntimeEnvironment, override?: string): Promise<string> {
  const direct = override ?? env.cursorKey;
  if (direct) return direct;
  if (!env.cursorSecretArn) throw new Error('no cursor key: set HEADROOM_CURSOR_KEY or HEADROOM_CURSOR_SECRET_ARN');
  // Loaded on first use: only the functions that page need the secret, and the others skip its module init.
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: env.cursorSecretArn }));
  if (!secret.SecretString) throw new Error(`secret ${env.cursorSecretArn} has no string value`);
  return secret.SecretString;
}

let shared: Platform | undefined;

/**
 * The instance-wide platform, built on first use (cold start) and reused by every invocation; on the embedded
 * platform, with the host's stand-ins for AWS-only services.
 */
export const platform = (): Platform => (shared ??= createPlatform(embeddedHost() ?? {}));

/** Installs a platform composed elsewhere (benchmarks over in-memory stores) as the instance-wide one. */
export const installPlatform = (composed: Platform): void => {
  shared = composed;
};
