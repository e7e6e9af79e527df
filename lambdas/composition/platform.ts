// The composition root: reads the runtime environment once per instance and builds what every function shares
// (the control and conversation stores, the tenant directory, flags, cursors) behind the core's ports. On AWS and
// in the embedded platform this is the same code; only the environment differs (locally AWS_ENDPOINT_URL_DYNAMODB
// points the SDK at DynamoDB Local).
//
// Every other feature (search, AI replies, jobs, moves, migrations, queues, tenant administration) is composed in
// its own file of this folder, from `platform.parts`, and a handler imports the one it serves. That is what keeps
// a function's bundle to the SDKs it calls: the conversation routes never carry OpenSearch, Bedrock or Step
// Functions, which a single root importing every feature would put into every bundle.
import { AsyncLocalStorageTransactionContextPropagator, OpenFeature, type Client } from '@openfeature/server-sdk';
import { v7 as uuidv7 } from 'uuid';
import { createDocumentClient, type DocumentClient } from '../adapters/aws/aws-clients.js';
import { DynamoControlStore } from '../adapters/aws/dynamo-control-store.js';
import { DynamoConversationStore } from '../adapters/aws/dynamo-conversation-store.js';
import { DynamoFlagStore } from '../adapters/aws/dynamo-flag-store.js';
import { DynamoMigrationStore } from '../adapters/aws/dynamo-migration-store.js';
import { DynamoUsageStore } from '../adapters/aws/dynamo-usage-store.js';
import { conversationService, type ConversationService } from '../core/conversations/conversations.js';
import { createCursorCodec, type CursorCodec } from '../core/conversations/cursor.js';
import { flagAdmin, type FlagAdmin } from '../core/flags/flag-admin.js';
import { createFlagCache } from '../core/flags/flag-cache.js';
import { HeadroomFlagProvider } from '../core/flags/flag-provider.js';
import { usageService, type UsageService } from '../core/jobs/usage-meter.js';
import { DEFAULT_TENANT_MOVE_SETTINGS } from '../core/moves/tenant-move-settings.js';
import type { OperationsSnapshot } from '../core/operations/operations-snapshot.js';
import {
  systemClock,
  type Clock,
  type ControlStore,
  type ConversationStore,
  type FlagStore,
  type IdGenerator,
  type JobQueue,
  type MigrationStore,
  type UsageKeys,
  type UsageStore,
} from '../core/ports.js';
import { fencedConversationStore } from '../core/tenancy/placement-fence.js';
import { tableOfShard } from '../core/tenancy/shard-topology.js';
import { createTenantDirectory, type TenantDirectory } from '../core/tenancy/tenant-directory.js';
import type { TenantContext, TenantProfile } from '../core/tenancy/tenancy.js';
import { authenticate } from '../core/tenancy/token-authorizer.js';
import { embeddedHost, type EmbeddedHost } from '../embedded-host.js';
import { readRuntimeEnvironment, type RuntimeEnvironment } from '../environment.js';
import { emit, heartbeatMetrics, logger } from '../observability.js';

/**
 * What every function shares, ready to call. A handler makes one call on one service: these, or the feature
 * service it imports from this folder (`searchOf`, `repliesOf`, `movesOf`, …), never a dependency it assembles.
 */
export interface Platform {
  readonly clock: Clock;
  /** Tenant profiles, cached per instance: the tenant-context middleware resolves every request's tenant here. */
  readonly directory: TenantDirectory;
  /** The tenant a bearer token proves (the authorizer), or undefined (→ 401). */
  authenticate(authorization: string | undefined): Promise<TenantProfile | undefined>;
  /** Conversations and comments, on the tenant's own shard, fenced during a move. */
  conversations(tenant: TenantContext): ConversationService;
  /** Usage per tenant-minute (the tenant's own) and the busiest groups (operators). */
  readonly usage: UsageService;
  flagAdmin(): FlagAdmin;
  /** Tenant profiles and tokens as stored (operator reads, the local demo and canary tenants). */
  readonly control: ControlStore;
  /** Cursors bound to a tenant and a listing (tenant listings; operators' tenant pages). */
  cursors(): Promise<CursorCodec>;
  /** Every migration's state (search index migrations and tenant moves), in the control table. */
  readonly migrations: MigrationStore;
  /** Live operator numbers (heartbeats, latency, queues, …); null where the CloudWatch dashboard shows them instead. */
  operations(): Promise<OperationsSnapshot | null>;
  /** What the feature compositions of this folder are built from. Handlers never touch it (lint holds that). */
  readonly parts: PlatformParts;
}

export interface PlatformParts {
  readonly env: RuntimeEnvironment;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly doc: DocumentClient;
  readonly control: ControlStore;
  readonly directory: TenantDirectory;
  /** OpenFeature client; the tenant is taken from the transaction context the handler chain sets. */
  readonly flags: Client;
  readonly flagStore: FlagStore;
  readonly migrations: MigrationStore;
  readonly usage: UsageStore;
  /** The store of the tenant's own shard, unfenced (background work that resolves the tenant itself). */
  conversationStore(tenant: TenantContext): ConversationStore;
  cursors(): Promise<CursorCodec>;
  readonly stores: StoreOverrides;
  readonly host: EmbeddedHost;
  /**
   * One instance of a feature per platform: `build` runs on first use and its result is shared after. A promise
   * that rejects is forgotten, so the next call tries again (a cold dependency, not a broken instance).
   */
  once<T>(feature: object, build: () => T): T;
}

/** What tests and benchmarks replace, and what the embedded platform provides in place of AWS-only services. */
export interface PlatformOverrides {
  readonly env?: RuntimeEnvironment;
  readonly clock?: Clock;
  readonly cursorKey?: string;
  /** In-memory stand-ins for the DynamoDB and SQS adapters (benchmarks, tests). */
  readonly stores?: StoreOverrides;
  /** The embedded platform's stand-ins for Step Functions, CloudWatch and OpenSearch (lambdas/embedded-host.ts). */
  readonly host?: EmbeddedHost;
}

export interface StoreOverrides {
  readonly control?: ControlStore;
  readonly conversationStore?: (tenant: TenantContext) => ConversationStore;
  readonly flagStore?: FlagStore;
  readonly usageKeys?: UsageKeys;
  readonly jobQueue?: JobQueue;
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
  const doc = createDocumentClient();
  const stores = overrides.stores ?? {};
  const host = overrides.host ?? {};
  const control = stores.control ?? new DynamoControlStore(doc, env.controlTable);
  const flagStore = stores.flagStore ?? new DynamoFlagStore(doc, env.controlTable);
  const conversationStore =
    stores.conversationStore ??
    ((tenant: TenantContext) => new DynamoConversationStore(doc, tableOfShard(env.shards, tenant.shard), tenant.tenantId, tenant.epoch));

  const flagCache = createFlagCache({
    load: () => flagStore.loadAll(),
    clock,
    ttlSeconds: env.flagCacheSeconds,
    onStale: (error, ageSeconds) => {
      logger.warn('flag store unreachable; serving the last good copy', { error: error as Error, ageSeconds: ageSeconds ?? null });
      emit.flagStoreStale();
    },
  });
  OpenFeature.setTransactionContextPropagator(new AsyncLocalStorageTransactionContextPropagator());
  OpenFeature.setProvider(new HeadroomFlagProvider(flagCache));
  const flags = OpenFeature.getClient();

  const directory = createTenantDirectory({ store: control, clock, ttlSeconds: env.directoryCacheSeconds });
  const usage = new DynamoUsageStore(doc, env.controlTable);
  const migrations = new DynamoMigrationStore(doc, env.controlTable);
  let cursorCodec: Promise<CursorCodec> | undefined;
  const cursors = () => (cursorCodec ??= loadCursorKey(env, overrides.cursorKey).then(createCursorCodec));

  const features = new Map<object, unknown>();
  const once = <T>(feature: object, build: () => T): T => {
    if (!features.has(feature)) {
      const built = build();
      features.set(feature, built);
      if (built instanceof Promise) built.catch(() => features.delete(feature));
    }
    return features.get(feature) as T;
  };

  return {
    clock,
    directory,
    authenticate: (authorization) => authenticate(authorization, control, directory),
    conversations: (tenant) =>
      conversationService({
        tenant,
        // Writes follow the tenant across a shard move: a fenced tenant waits, a stale route is re-resolved.
        store: fencedConversationStore(tenant, {
          directory,
          storeFor: conversationStore,
          clock,
          maxWaitMs: (env.tenantMove ?? DEFAULT_TENANT_MOVE_SETTINGS).fenceWaitMs,
          onRefused: (refusal) => emit.placementRefused(refusal.state),
        }),
        clock,
        ids,
        cursors,
        idempotencyTtlSeconds: env.idempotencyTtlSeconds,
        outcomes: heartbeatMetrics,
        flags,
      }),
    usage: usageService(usage, clock),
    flagAdmin: () => flagAdmin({ store: flagStore, clock }),
    control,
    cursors,
    migrations,
    operations: async () => (host.operations ? host.operations() : null),
    parts: {
      env,
      clock,
      ids,
      doc,
      control,
      directory,
      flags,
      flagStore,
      migrations,
      usage,
      conversationStore,
      cursors,
      stores,
      host,
      once,
    },
  };
}

async function loadCursorKey(env: RuntimeEnvironment, override?: string): Promise<string> {
  const direct = override ?? env.cursorKey;
  if (direct) return direct;
  if (!env.cursorSecretArn) throw new Error('no cursor key: set HEADROOM_CURSOR_KEY or HEADROOM_CURSOR_SECRET_ARN');
  // Loaded on first use: only the functions that page need the secret, and the others skip its module init.
  const { readSecretString } = await import('../adapters/aws/secret-string.js');
  return readSecretString(env.cursorSecretArn);
}

let shared: Platform | undefined;

/**
 * The instance-wide platform, built on first use (cold start) and reused by every invocation; on the embedded
 * platform, with the host's stand-ins for AWS-only services.
 */
export const platform = (): Platform => (shared ??= createPlatform({ host: embeddedHost() ?? {} }));

/** Installs a platform composed elsewhere (benchmarks over in-memory stores) as the instance-wide one. */
export const installPlatform = (composed: Platform): void => {
  shared = composed;
};
