// The composition root: reads the runtime environment once per instance and builds the adapters behind the
// core's ports. On AWS and in the embedded platform this is the same code; only the environment differs
// (locally AWS_ENDPOINT_URL_DYNAMODB points the SDK at DynamoDB Local).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { v7 as uuidv7 } from 'uuid';
import { DynamoControlStore } from './adapters/aws/dynamo-control-store.js';
import { DynamoConversationStore } from './adapters/aws/dynamo-conversation-store.js';
import { createCursorCodec, type CursorCodec } from './core/cursor.js';
import { conversationService, type ConversationService } from './core/conversations.js';
import { systemClock, type Clock, type ControlStore, type ConversationStore, type IdGenerator, type UsageKeys } from './core/ports.js';
import { ApiGatewayUsageKeys } from './adapters/aws/api-gateway-usage-keys.js';
import { localUsageKeys } from './adapters/local/local-usage-keys.js';
import { createTenantDirectory, type TenantDirectory } from './core/tenant-directory.js';
import { tenantAdmin, type TenantAdmin } from './core/tenant-admin.js';
import type { TenantContext } from './core/tenancy.js';
import { heartbeatMetrics } from './observability.js';
import { readRuntimeEnvironment, type RuntimeEnvironment } from './environment.js';

export interface Platform {
  readonly env: RuntimeEnvironment;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly control: ControlStore;
  readonly directory: TenantDirectory;
  readonly usageKeys: UsageKeys;
  /** The conversation store of the tenant's own shard, for this request only. */
  conversationStore(tenant: TenantContext): ConversationStore;
  cursors(): Promise<CursorCodec>;
  conversations(tenant: TenantContext): ConversationService;
  tenantAdmin(): TenantAdmin;
}

export interface PlatformOverrides {
  readonly env?: RuntimeEnvironment;
  readonly clock?: Clock;
  readonly control?: ControlStore;
  readonly conversationStore?: (tenant: TenantContext) => ConversationStore;
  readonly cursorKey?: string;
  readonly usageKeys?: UsageKeys;
}

export function createPlatform(overrides: PlatformOverrides = {}): Platform {
  const env = overrides.env ?? readRuntimeEnvironment();
  const clock = overrides.clock ?? systemClock;
  const ids: IdGenerator = { next: () => uuidv7() };
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  const control = overrides.control ?? new DynamoControlStore(doc, env.controlTable);
  const tables = new Map(env.shards.map((shard) => [shard.name, shard.table]));
  const conversationStore =
    overrides.conversationStore ??
    ((tenant: TenantContext) => {
      const table = tables.get(tenant.shard);
      if (!table) throw new Error(`tenant ${tenant.tenantId} is placed on unknown shard ${tenant.shard}`);
      return new DynamoConversationStore(doc, table, tenant.tenantId);
    });

  const usageKeys = overrides.usageKeys ?? (env.usagePlans ? new ApiGatewayUsageKeys(env.usagePlans) : localUsageKeys);
  let cursorCodec: Promise<CursorCodec> | undefined;
  const cursors = () => (cursorCodec ??= loadCursorKey(env, overrides.cursorKey).then(createCursorCodec));

  return {
    env,
    clock,
    ids,
    control,
    directory: createTenantDirectory({ store: control, clock, ttlSeconds: env.directoryCacheSeconds }),
    usageKeys,
    conversationStore,
    cursors,
    conversations(tenant) {
      return conversationService({
        tenant,
        store: conversationStore(tenant),
        clock,
        ids,
        cursors,
        idempotencyTtlSeconds: env.idempotencyTtlSeconds,
        outcomes: heartbeatMetrics,
      });
    },
    tenantAdmin: () => tenantAdmin({ store: control, clock, topology: env.shards, defaultTier: env.defaultTier, usageKeys }),
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
