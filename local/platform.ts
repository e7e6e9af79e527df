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
import { SQSClient } from '@aws-sdk/client-sqs';
import { JOB_CONSUMERS, JOB_QUEUES, RELAY_FUNCTION, VISIBILITY_TIMEOUT_SECONDS } from '../lambdas/queues.js';
import { createPlatform, installPlatform } from '../lambdas/platform.js';
import { startSqsEmulator, type SqsEmulator } from './sqs-emulator.js';
import { startSqsEventSource, type SqsBatchHandler, type SqsEventSource } from './sqs-event-source.js';
import { startDynamoDbStreamSource, type DynamoDbStreamHandler, type DynamoDbStreamSource } from './dynamodb-stream-source.js';

export interface LocalPlatformOptions {
  readonly dataDir: string;
  /** HTTP port on 127.0.0.1; 0 picks a free port. */
  readonly port: number;
  readonly config?: HeadroomConfig;
  /** Overrides the stored admin token (HEADROOM_ADMIN_TOKEN). */
  readonly adminToken?: string;
  /** Create the `demo` tenant on first start. */
  readonly demo?: boolean;
  /** How long a received job stays invisible before redelivery (tests shorten it). */
  readonly visibilityTimeoutSeconds?: number;
}

export interface LocalPlatform {
  readonly url: string;
  readonly adminToken: string;
  readonly dynamoEndpoint: string;
  readonly demo?: DemoTenant;
  readonly sqs: SqsEmulator;
  /** The event sources feeding the job consumers, one per job queue. */
  readonly jobSources: readonly SqsEventSource[];
  /** The change relays, one per shard stream. */
  readonly streamSources: readonly DynamoDbStreamSource[];
  stop(): Promise<void>;
}

function localTopology(config: HeadroomConfig): ShardTopology {
  return config.shards.map((shard) => ({
    name: shard.name,
    table: localTableName.shard(shard.name),
    ...(shard.dedicatedTo === undefined ? {} : { dedicatedTo: shard.dedicatedTo }),
  }));
}

/** Points the runtime (and the AWS SDK) at the local engines, exactly as the CDK stacks configure Lambda. */
function configureRuntime(config: HeadroomConfig, dynamo: DynamoDbLocal, sqs: SqsEmulator, cursorKey: string): void {
  Object.assign(process.env, {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    [ENV.shards]: JSON.stringify(localTopology(config)),
    [ENV.controlTable]: localTableName.control,
    [ENV.directoryCacheSeconds]: String(config.runtime.directoryCacheSeconds),
    [ENV.flagCacheSeconds]: String(config.runtime.flagCacheSeconds),
    [ENV.idempotencyTtlSeconds]: String(config.runtime.idempotencyTtlHours * 3600),
    [ENV.defaultTier]: config.defaultTier,
    [ENV.cursorKey]: cursorKey,
    [ENV.jobQueues]: JSON.stringify(
      Object.fromEntries(JOB_QUEUES.flatMap((queue) => [queue.name, queue.deadLetterQueue]).map((name) => [name, sqs.queueUrl(name)])),
    ),
    [ENV.admission]: JSON.stringify(config.messaging.admission),
  });
  delete process.env.AWS_PROFILE;
}

async function loadHandlers(): Promise<{
  handlers: Record<FunctionName, ProxyHandler>;
  authorizer: AuthorizerHandler;
  relay: DynamoDbStreamHandler;
  consumers: Record<string, SqsBatchHandler>;
}> {
  const modules = await Promise.all(
    [...FUNCTION_NAMES, RELAY_FUNCTION, ...JOB_CONSUMERS].map(async (name) => {
      const url = new URL(`../lambdas/handlers/${name}.ts`, import.meta.url).href;
      return [name, ((await import(/* @vite-ignore */ url)) as { handler: unknown }).handler] as const;
    }),
  );
  const table = Object.fromEntries(modules) as Record<string, unknown>;
  return {
    handlers: table as Record<FunctionName, ProxyHandler>,
    authorizer: table.authorizer as AuthorizerHandler,
    relay: table[RELAY_FUNCTION] as DynamoDbStreamHandler,
    consumers: Object.fromEntries(JOB_CONSUMERS.map((name) => [name, table[name] as SqsBatchHandler])),
  };
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
  const running: { stop(): Promise<void> }[] = [];
  // Stops in reverse order of start: the bridge first (no new work), then relays, consumers, queues, tables.
  const stopAll = async () => {
    for (const part of running.reverse()) await part.stop();
    await closeMetrics();
    await dynamo.stop();
  };
  try {
    process.env.AWS_REGION ??= 'us-east-1';
    const sqs = await startSqsEmulator({ dataDir });
    running.push(sqs);
    configureRuntime(config, dynamo, sqs, cursorKey);
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint });
    await ensureTables(client, [
      ...config.shards.map((shard) => ({ name: localTableName.shard(shard.name), definition: SHARD_TABLE })),
      { name: localTableName.control, definition: CONTROL_TABLE },
    ]);
    client.destroy();
    // The same composition root the functions use, with the one thing only the emulator knows: message ages.
    installPlatform(createPlatform({ oldestAge: async (queue) => sqs.oldestAgeSeconds(queue) }));

    const { handlers, authorizer, relay, consumers } = await loadHandlers();
    const sqsClient = new SQSClient({ endpoint: sqs.endpoint });
    const jobSources = JOB_CONSUMERS.flatMap((consumer) =>
      JOB_QUEUES.map((queue) =>
        startSqsEventSource({
          client: sqsClient,
          queueUrl: sqs.queueUrl(queue.name),
          queueArn: sqs.queueArn(queue.name),
          deadLetterQueueUrl: sqs.queueUrl(queue.deadLetterQueue),
          handler: consumers[consumer] as SqsBatchHandler,
          batchSize: queue.batchSize,
          maxConcurrency: queue.maxConcurrency,
          visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? VISIBILITY_TIMEOUT_SECONDS,
          maxReceiveCount: queue.maxReceiveCount,
          functionName: consumer,
        }),
      ),
    );
    running.push(...jobSources);
    const streamSources = await Promise.all(
      config.shards.map((shard) =>
        startDynamoDbStreamSource({
          endpoint: dynamo.endpoint,
          tableName: localTableName.shard(shard.name),
          checkpointFile: join(dataDir, 'stream-checkpoints', `${shard.name}.json`),
          handler: relay,
          functionName: RELAY_FUNCTION,
        }),
      ),
    );
    running.push(...streamSources);

    const bridge = createApiGatewayBridge({
      stageName: config.api.stageName,
      authorizerCacheSeconds: config.api.authorizerCacheSeconds,
      adminToken,
      handlers,
      authorizer,
      tiers: config.tiers,
    });
    const port = await listen(bridge.server, options.port);
    running.push({
      stop: () =>
        new Promise<void>((resolveClose) => {
          bridge.server.close(() => resolveClose());
          bridge.server.closeAllConnections();
        }),
    });
    const demo = options.demo === false ? undefined : await ensureDemoTenant(dataDir);

    return {
      url: `http://127.0.0.1:${port}`,
      adminToken,
      dynamoEndpoint: dynamo.endpoint,
      sqs,
      jobSources,
      streamSources,
      ...(demo ? { demo } : {}),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
