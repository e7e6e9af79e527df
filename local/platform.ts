// The embedded platform: DynamoDB Local + tables from lambdas/schema.ts + the API Gateway bridge in front of the
// real handler modules, configured through the same environment variables the Lambda functions get on AWS.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_CONFIG, type HeadroomConfig } from '../lib/config.js';
import { ENV, type ShardTopology } from '../lambdas/environment.js';
import { CONTROL_TABLE, localTableName, SHARD_TABLE } from '../lambdas/schema.js';
import { FUNCTION_NAMES, type FunctionName } from '../lambdas/routes.js';
import { createApiGatewayBridge, type AuthorizerHandler, type ProxyHandler } from './api-gateway-bridge.js';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { ensureTables } from './tables.js';
import { ADMIN_TOKEN_FILE, readOrCreateSecret } from './local-secrets.js';
import { redirectMetrics } from './metrics-sink.js';
import { ensureDemoTenant, type DemoTenant } from './demo-tenant.js';

export interface LocalPlatformOptions {
  readonly dataDir: string;
  /** HTTP port on 127.0.0.1; 0 picks a free port. */
  readonly port: number;
  readonly config?: HeadroomConfig;
  /** Overrides the stored admin token (HEADROOM_ADMIN_TOKEN). */
  readonly adminToken?: string;
  /** Create the `demo` tenant on first start. */
  readonly demo?: boolean;
}

export interface LocalPlatform {
  readonly url: string;
  readonly adminToken: string;
  readonly dynamoEndpoint: string;
  readonly demo?: DemoTenant;
  stop(): Promise<void>;
}

export function localTopology(config: HeadroomConfig): ShardTopology {
  return config.shards.map((shard) => ({
    name: shard.name,
    table: localTableName.shard(shard.name),
    ...(shard.dedicatedTo === undefined ? {} : { dedicatedTo: shard.dedicatedTo }),
  }));
}

/** Points the runtime (and the AWS SDK) at the local engines, exactly as the CDK stacks configure Lambda. */
function configureRuntime(config: HeadroomConfig, dynamo: DynamoDbLocal, cursorKey: string): void {
  Object.assign(process.env, {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    [ENV.shards]: JSON.stringify(localTopology(config)),
    [ENV.controlTable]: localTableName.control,
    [ENV.directoryCacheSeconds]: String(config.runtime.directoryCacheSeconds),
    [ENV.flagCacheSeconds]: String(config.runtime.flagCacheSeconds),
    [ENV.idempotencyTtlSeconds]: String(config.runtime.idempotencyTtlHours * 3600),
    [ENV.defaultTier]: config.defaultTier,
    [ENV.cursorKey]: cursorKey,
  });
  delete process.env.AWS_PROFILE;
}

async function loadHandlers(): Promise<{ handlers: Record<FunctionName, ProxyHandler>; authorizer: AuthorizerHandler }> {
  const modules = await Promise.all(
    FUNCTION_NAMES.map(async (name) => {
      const url = new URL(`../lambdas/handlers/${name}.ts`, import.meta.url).href;
      return [name, ((await import(/* @vite-ignore */ url)) as { handler: unknown }).handler] as const;
    }),
  );
  const table = Object.fromEntries(modules) as Record<FunctionName | 'authorizer', unknown>;
  return { handlers: table as Record<FunctionName, ProxyHandler>, authorizer: table.authorizer as AuthorizerHandler };
}

const listen = (server: Server, port: number) =>
  new Promise<number>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolveListen(typeof address === 'object' && address ? address.port : port);
    });
  });

export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const config = options.config ?? DEFAULT_CONFIG;
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const adminToken = options.adminToken ?? readOrCreateSecret(dataDir, ADMIN_TOKEN_FILE);
  const cursorKey = readOrCreateSecret(dataDir, 'cursor-key');

  const dynamo = await startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb') });
  const closeMetrics = redirectMetrics(dataDir);
  try {
    configureRuntime(config, dynamo, cursorKey);
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint });
    await ensureTables(client, [
      ...config.shards.map((shard) => ({ name: localTableName.shard(shard.name), definition: SHARD_TABLE })),
      { name: localTableName.control, definition: CONTROL_TABLE },
    ]);
    client.destroy();

    const { handlers, authorizer } = await loadHandlers();
    const bridge = createApiGatewayBridge({
      stageName: config.api.stageName,
      authorizerCacheSeconds: config.api.authorizerCacheSeconds,
      adminToken,
      handlers,
      authorizer,
      tiers: config.tiers,
    });
    const port = await listen(bridge.server, options.port);
    const demo = options.demo === false ? undefined : await ensureDemoTenant(dataDir);

    return {
      url: `http://127.0.0.1:${port}`,
      adminToken,
      dynamoEndpoint: dynamo.endpoint,
      ...(demo ? { demo } : {}),
      async stop() {
        await new Promise<void>((resolveClose) => {
          bridge.server.close(() => resolveClose());
          bridge.server.closeAllConnections();
        });
        await closeMetrics();
        await dynamo.stop();
      },
    };
  } catch (error) {
    await closeMetrics();
    await dynamo.stop();
    throw error;
  }
}
