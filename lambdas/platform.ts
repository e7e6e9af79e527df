// The composition root: reads the runtime environment once per instance and builds the adapters behind the
// core's ports. On AWS and in the embedded platform this is the same code; only the environment differs
// (locally AWS_ENDPOINT_URL_DYNAMODB points the SDK at DynamoDB Local).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AsyncLocalStorageTransactionContextPropagator, OpenFeature, type Client } from '@openfeature/server-sdk';
import { v7 as uuidv7 } from 'uuid';
import { ApiGatewayUsageKeys } from './adapters/aws/api-gateway-usage-keys.js';
import { DynamoControlStore } from './adapters/aws/dynamo-control-store.js';
import { DynamoConversationStore } from './adapters/aws/dynamo-conversation-store.js';
import { DynamoFlagStore } from './adapters/aws/dynamo-flag-store.js';
import { DynamoUsageStore } from './adapters/aws/dynamo-usage-store.js';
import { cloudWatchOldestAge, SqsQueueInspector, type OldestAge } from './adapters/aws/sqs-queue-inspector.js';
import { SqsJobQueue } from './adapters/aws/sqs-job-queue.js';
import { relayChanges, type RelayResult } from './core/change-relay.js';
import type { ChangeRecord } from './core/change-capture.js';
import { createOverflowRouter } from './core/overflow-router.js';
import { localUsageKeys } from './adapters/local/local-usage-keys.js';
import { conversationService, type ConversationService } from './core/conversations.js';
import { createCursorCodec, type CursorCodec } from './core/cursor.js';
import { flagAdmin, type FlagAdmin } from './core/flag-admin.js';
import { createFlagCache } from './core/flag-cache.js';
import { HeadroomFlagProvider } from './core/flag-provider.js';
import {
  systemClock,
  type Clock,
  type ControlStore,
  type ConversationStore,
  type FlagStore,
  type IdGenerator,
  type JobQueue,
  type QueueInspector,
  type UsageKeys,
  type UsageStore,
} from './core/ports.js';
import { tenantAdmin, type TenantAdmin } from './core/tenant-admin.js';
import { createTenantDirectory, type TenantDirectory } from './core/tenant-directory.js';
import type { TenantContext } from './core/tenancy.js';
import { readRuntimeEnvironment, type RuntimeEnvironment } from './environment.js';
import { heartbeatMetrics, logger, metrics } from './observability.js';
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
  const tables = new Map(env.shards.map((shard) => [shard.name, shard.table]));
  const conversationStore =
    overrides.conversationStore ??
    ((tenant: TenantContext) => {
      const table = tables.get(tenant.shard);
      if (!table) throw new Error(`tenant ${tenant.tenantId} is placed on unknown shard ${tenant.shard}`);
      return new DynamoConversationStore(doc, table, tenant.tenantId);
    });

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

  let cursorCodec: Promise<CursorCodec> | undefined;
  const cursors = () => (cursorCodec ??= loadCursorKey(env, overrides.cursorKey).then(createCursorCodec));

  return {
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
        store: conversationStore(tenant),
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
  };
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

/** The instance-wide platform, built on first use (cold start) and reused by every invocation. */
export const platform = (): Platform => (shared ??= createPlatform());

/** Installs a platform composed elsewhere (benchmarks over in-memory stores) as the instance-wide one. */
export const installPlatform = (composed: Platform): void => {
  shared = composed;
};
