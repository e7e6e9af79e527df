// The embedded platform: DynamoDB Local + tables from lambdas/schema.ts + the API Gateway bridge in front of the
// real handler modules (the sources, or the synthesized bundles `cdk deploy` ships), each function triggered as its
// manifest row says and configured through the same environment variables the Lambda functions get on AWS.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createServer, type Server } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_CONFIG, type HeadroomConfig } from '../lib/config.js';
import type { ShardTopology } from '../lambdas/core/tenancy/shard-topology.js';
import { ENV } from '../lambdas/environment.js';
import { functionEnvironment, type EnvironmentInputs } from '../lambdas/function-environment.js';
import type { FunctionName, RouteFunctionName } from '../lambdas/functions.js';
import { CONTROL_TABLE, localTableName, SHARD_TABLE } from '../lambdas/schema.js';
import { platformSettings } from '../lib/function-environment.js';
import { installEmbeddedHost, type EmbeddedHost } from '../lambdas/embedded-host.js';
import { SqliteSearchIndex } from '../lambdas/adapters/local/sqlite-search-index.js';
import type { StepInput, StepOutput } from '../lambdas/handlers/migration-step.js';
import { STEP_MARGIN_MS } from '../lambdas/handlers/migration-step.js';
import { REPAIR_MARGIN_MS } from '../lambdas/core/repair/repair-settings.js';
import { embeddedFunctions, loadFunctions, type HandlerSource, type LoadedFunction } from './function-modules.js';
import { createApiGatewayBridge, type AuthorizerHandler, type ProxyHandler } from './api-gateway-bridge.js';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { ensureTables } from './tables.js';
import { ADMIN_TOKEN_FILE, readOrCreateSecret } from './local-secrets.js';
import { redirectMetrics } from './metrics-sink.js';
import { startPlatformLog, type LogLevel, type PlatformLog } from './platform-log.js';
import { acquirePlatformLock } from './platform-lock.js';
import { removePlatformUrl, writePlatformUrl } from './platform-address.js';
import { ensureDemoTenant, type DemoTenant } from './demo-tenant.js';
import { SQSClient } from '@aws-sdk/client-sqs';
import { JOB_QUEUES, VISIBILITY_TIMEOUT_SECONDS } from '../lambdas/queues.js';
import { startMoveReplicators, streamWriteRates } from './move-replicators.js';
import { createPlatform, installPlatform, platform } from '../lambdas/composition/platform.js';
import { queuesOf } from '../lambdas/composition/queues.js';
import { startSqsEmulator, type SqsEmulator } from './sqs-emulator.js';
import { startMigrationLoop, type MigrationLoop } from './migration-loop.js';
import { startRepairLoop, type RepairLoop } from './repair-loop.js';
import type { LlmSettings } from '../lambdas/core/llm/llm-settings.js';
import { startProviderSimulator, type ProviderSimulator } from './provider-simulator.js';
import { SIMULATED_PROVIDERS, simulatedLlmSettings } from './simulated-llm.js';
import { startSqsEventSource, type SqsBatchHandler, type SqsEventSource } from './sqs-event-source.js';
import { lambdaContext } from './lambda-context.js';
import type { Context } from 'aws-lambda';
import { startDynamoDbStreamSource, type DynamoDbStreamHandler, type DynamoDbStreamSource } from './dynamodb-stream-source.js';
import { createMetricsRegistry, type MetricsRegistry } from './metrics-registry.js';
import { recordApiResponses } from './api-metrics.js';
import { measureJobDwell } from './job-dwell.js';
import { createOpsConsole } from './ops-console.js';
import { operationsSnapshot } from './operations-snapshot.js';
import { localMigrations } from './local-migrations.js';
import { ensureCanaryTenant } from './canary-tenant.js';
import { startHeartbeatCanaryLoop, type HeartbeatCanaryLoop } from './heartbeat-canary-loop.js';
import { startHeartbeatMonitorLoop, type HeartbeatMonitorLoop } from './heartbeat-monitor-loop.js';
import type { HeartbeatMonitorConfig } from '../lambdas/core/operations/heartbeat-monitor.js';
import { createCanaryApiClient } from '../lambdas/adapters/http/canary-api-client.js';

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
  /** How long migrations wait for every instance to see a registry or flag change (tests shorten it). @default flag cache + 5 s */
  readonly searchSettleSeconds?: number;
  /** AI routes. @default two simulated providers (OpenAI-compatible and Bedrock faces) started with the platform */
  readonly llm?: LlmSettings;
  /** The synthetic canary and the heartbeat monitor: `npm start` runs both; off when omitted, keeping tests quiet. */
  readonly heartbeat?: HeartbeatOptions;
  /**
   * The derived-data reconciler's schedule (local/repair-loop.ts): `npm start` runs it unless HEADROOM_REPAIR=off; off
   * when omitted, keeping tests quiet (they invoke the `repair` function or request runs themselves).
   */
  readonly repair?: { readonly intervalMs?: number; readonly budgetMs?: number };
  /** Where the handlers come from. @default 'sources' */
  readonly handlers?: HandlerSource;
  /** Sees every invocation of every function, with its event and answer (the deploy rehearsal records them). */
  readonly onInvoke?: (invocation: Invocation) => void;
  /**
   * Routes this process's output while the platform runs (local/platform-log.ts): every line to the data directory's
   * log file, handler log lines to the terminal only at `terminalLevel` and above. `npm start` sets it; when omitted
   * the output is left alone (tests).
   */
  readonly log?: { readonly terminalLevel: LogLevel };
}

export interface Invocation {
  readonly name: FunctionName;
  readonly event: unknown;
  readonly result?: unknown;
  readonly error?: unknown;
}

export interface HeartbeatOptions {
  /** Run the canary (as the `canary` tenant, created on first start). @default true */
  readonly canary?: boolean;
  /** @default 60 */
  readonly canaryIntervalSeconds?: number;
  /** Run the heartbeat monitor. @default true */
  readonly monitor?: boolean;
  /** How often the monitor judges the last period. @default 30 */
  readonly monitorPeriodSeconds?: number;
  readonly monitorConfig?: Partial<HeartbeatMonitorConfig>;
  /** Where the monitor's alarm and recovery lines go. @default stderr */
  readonly log?: (line: string) => void;
}

export interface LocalPlatform {
  readonly url: string;
  /** Where every line of output goes when `log` was given. */
  readonly logFile?: string;
  readonly adminToken: string;
  readonly dynamoEndpoint: string;
  readonly demo?: DemoTenant;
  readonly sqs: SqsEmulator;
  /** The event sources feeding the job consumers, one per job queue. */
  readonly jobSources: readonly SqsEventSource[];
  /** The change relays, one per shard stream. */
  readonly streamSources: readonly DynamoDbStreamSource[];
  /** The in-process migration runner (search index migrations, tenant moves). */
  readonly migrationLoop: MigrationLoop;
  /** Stops the runner after its current step and starts a fresh one, as a process restart would. */
  restartMigrationLoop(): Promise<void>;
  /** The reconciler's schedule, when `repair` was given. */
  readonly repairLoop?: RepairLoop;
  /** The tenant-move replicators: the second reader of each shard stream. */
  readonly replicatorSources: readonly DynamoDbStreamSource[];
  /** The model provider simulator behind the default AI routes (absent when `llm` was given). */
  readonly simulator?: ProviderSimulator;
  /** Every EMF metric, API request and job dwell of this platform (what the ops console shows). */
  readonly registry: MetricsRegistry;
  /** Every function it runs: its manifest row, where its handler came from, and the environment it was given. */
  readonly functions: readonly EmbeddedFunction[];
  stop(): Promise<void>;
}

export interface EmbeddedFunction {
  readonly name: FunctionName;
  readonly trigger: LoadedFunction['definition']['trigger'];
  readonly module: string;
  /** What lambdas/function-environment.ts gives it here (all of them share this process's environment). */
  readonly environment: Readonly<Record<string, string>>;
}

function localTopology(config: HeadroomConfig): ShardTopology {
  return config.shards.map((shard) => ({
    name: shard.name,
    table: localTableName.shard(shard.name),
    ...(shard.dedicatedTo === undefined ? {} : { dedicatedTo: shard.dedicatedTo }),
  }));
}

/** The environment builder's inputs on this machine: local table names, the emulator's queues, SQLite search. */
function localEnvironmentInputs(
  config: HeadroomConfig,
  llm: LlmSettings,
  sqs: SqsEmulator,
  cursorKey: string,
  dataDir: string,
): EnvironmentInputs {
  return {
    target: 'embedded',
    json: JSON.stringify,
    settings: { ...platformSettings(config), llm },
    shards: localTopology(config),
    controlTable: localTableName.control,
    jobQueues: Object.fromEntries(
      JOB_QUEUES.flatMap((queue) => [queue.name, queue.deadLetterQueue]).map((name) => [name, sqs.queueUrl(name)]),
    ) as NonNullable<EnvironmentInputs['jobQueues']>,
    cursor: { key: cursorKey },
    search: { engine: 'sqlite', file: join(dataDir, 'search.sqlite') },
  };
}

/**
 * Points the runtime (and the AWS SDK) at the local engines. Every function here shares one process, so the
 * process gets every function's variables (built by the same builder as on AWS); each function reads only its own.
 */
function configureRuntime(dynamo: DynamoDbLocal, sqs: SqsEmulator, environments: readonly Record<string, string>[]): void {
  Object.assign(process.env, unionOfEnvironments(environments), {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    // As on Lambda; what reaches the terminal is local/platform-log.ts's decision, not the handlers'.
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO',
  });
  delete process.env.AWS_PROFILE;
}

/** The loaded functions, each handler reporting its invocations to `onInvoke`. */
function observed(loaded: ReadonlyMap<FunctionName, LoadedFunction>, onInvoke?: (invocation: Invocation) => void) {
  if (!onInvoke) return loaded;
  return new Map(
    [...loaded].map(([name, fn]) => {
      const handler = fn.handler as (event: unknown, context: unknown) => Promise<unknown>;
      const wrapped = async (event: unknown, context: unknown) => {
        try {
          const result = await handler(event, context);
          onInvoke({ name, event, result });
          return result;
        } catch (error) {
          onInvoke({ name, event, error });
          throw error;
        }
      };
      return [name, { ...fn, handler: wrapped }];
    }),
  );
}

/**
 * One environment holding every function's variables. Two functions may hold a JSON object under the same name
 * with different keys (the relay sees two job queues, the queue admin four): the union holds all of them.
 */
function unionOfEnvironments(environments: readonly Record<string, string>[]): Record<string, string> {
  const union: Record<string, string> = {};
  for (const environment of environments) {
    for (const [name, value] of Object.entries(environment)) {
      const held = union[name];
      if (held === undefined || held === value) {
        union[name] = value;
        continue;
      }
      const [a, b] = [JSON.parse(held) as unknown, JSON.parse(value) as unknown];
      if (typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) || Array.isArray(b) || !a || !b) {
        throw new Error(`functions disagree on ${name}: ${held} and ${value}`);
      }
      union[name] = JSON.stringify({ ...a, ...b });
    }
  }
  return union;
}

/** The platform's port is taken (most likely by another platform); `suggestion` was free a moment ago. */
export class PortInUseError extends Error {
  readonly type = 'port-in-use';

  constructor(
    readonly port: number,
    readonly suggestion: number,
  ) {
    super(`Port ${port} is in use (another Headroom?). Start this one on another port: PORT=${suggestion} npm start`);
  }
}

const bind = (server: Server, port: number) =>
  new Promise<number>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolveListen(typeof address === 'object' && address ? address.port : port);
    });
  });

/** Whether `port` can be listened on now (listens and closes again). */
const isFree = (port: number) => {
  const server = createServer();
  return bind(server, port).then(
    () => new Promise<boolean>((resolveClose) => server.close(() => resolveClose(true))),
    () => false,
  );
};

async function nextFreePort(port: number): Promise<number> {
  for (let candidate = port + 1; candidate <= Math.min(port + 20, 65535); candidate++) if (await isFree(candidate)) return candidate;
  return port + 1;
}

/** Listens on `port`; a taken port is a PortInUseError that names a free one. */
async function listen(server: Server, port: number): Promise<number> {
  try {
    return await bind(server, port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(port, await nextFreePort(port));
    throw error;
  }
}

export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const config = options.config ?? DEFAULT_CONFIG;
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Taken before anything starts: a second platform must not open the first one's tables, queues or port.
  const lock = acquirePlatformLock(dataDir);
  let dynamo: DynamoDbLocal;
  try {
    // Before DynamoDB Local and the handlers start, so a taken port is reported at once; the bridge may still lose
    // a race for it, and says the same.
    if (options.port !== 0) {
      const probe = createServer();
      await listen(probe, options.port);
      await new Promise((resolveClose) => probe.close(resolveClose));
    }
    dynamo = await startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb') });
  } catch (error) {
    lock.release();
    throw error;
  }
  const adminToken = options.adminToken ?? readOrCreateSecret(dataDir, ADMIN_TOKEN_FILE);
  const cursorKey = readOrCreateSecret(dataDir, 'cursor-key');
  const registry = createMetricsRegistry();
  const metricsSink = redirectMetrics(dataDir, registry);
  const output: PlatformLog | undefined = options.log
    ? startPlatformLog({ dataDir, terminalLevel: options.log.terminalLevel, onEmf: metricsSink.record })
    : undefined;
  const running: { stop(): Promise<void> }[] = [];
  // Stops in reverse order of start: the bridge first (no new work), then relays, consumers, queues, tables.
  const stopAll = async () => {
    // The CLI must not find a platform that is going away.
    removePlatformUrl(dataDir);
    for (const part of running.reverse()) await part.stop();
    // Its services are stopped: no later module copy may find them.
    installEmbeddedHost(undefined);
    await dynamo.stop();
    output?.close();
    await metricsSink.close();
    lock.release();
  };
  try {
    process.env.AWS_REGION ??= 'us-east-1';
    const sqs = await startSqsEmulator({ dataDir });
    running.push(sqs);
    const simulator = options.llm ? undefined : await startProviderSimulator({ providers: SIMULATED_PROVIDERS });
    if (simulator) {
      running.push(simulator);
      // Where operators (and the runbook) find the simulator's control endpoint.
      writeFileSync(join(dataDir, 'provider-simulator-url'), `${simulator.url}\n`);
    }
    const llm = options.llm ?? simulatedLlmSettings(config.llm, simulator as ProviderSimulator);
    const localInputs = localEnvironmentInputs(config, llm, sqs, cursorKey, dataDir);
    const environments = embeddedFunctions().map((definition) => ({
      definition,
      environment: functionEnvironment(definition, localInputs),
    }));
    configureRuntime(
      dynamo,
      sqs,
      environments.map(({ environment }) => environment),
    );
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint });
    await ensureTables(client, [
      ...config.shards.map((shard) => ({ name: localTableName.shard(shard.name), definition: SHARD_TABLE })),
      { name: localTableName.control, definition: CONTROL_TABLE },
    ]);
    client.destroy();
    // The same composition root the functions use, with the one thing only the emulator knows: message ages.
    const heartbeat: { canary?: HeartbeatCanaryLoop; monitor?: HeartbeatMonitorLoop } = {};
    let url = '';
    const queueStatus = () => queuesOf(platform()).status();
    const snapshot = () =>
      operationsSnapshot({
        registry,
        queues: queueStatus,
        migrations: () => localMigrations(url, adminToken),
        canary: () => heartbeat.canary,
        monitor: () => heartbeat.monitor,
      });
    const relaysByShard = new Map<string, DynamoDbStreamSource>();
    let migrationLoop: MigrationLoop | undefined;
    // The local stand-ins for AWS-only services, for the sources and for bundles alike (lambdas/embedded-host.ts).
    const searchIndex = new SqliteSearchIndex(join(dataDir, 'search.sqlite'));
    running.push({ stop: async () => searchIndex.close() });
    const host: EmbeddedHost = {
      startMigration: async (id) => migrationLoop?.wake(id),
      ...(options.searchSettleSeconds === undefined ? {} : { searchSettleSeconds: options.searchSettleSeconds }),
      oldestAge: async (queue) => sqs.oldestAgeSeconds(queue),
      operations: snapshot,
      shardWriteRate: streamWriteRates(() => relaysByShard),
      searchIndex,
    };
    installEmbeddedHost(host);
    installPlatform(createPlatform({ host }));
    const opsConsole = createOpsConsole({ snapshot, registry, queues: queueStatus });
    running.push(opsConsole);

    const loaded = observed(await loadFunctions(options.handlers ?? 'sources'), options.onInvoke);
    const byTrigger = (kind: string) => [...loaded.values()].filter((fn) => fn.definition.trigger.kind === kind);
    const handlerOf = <T>(fn: LoadedFunction) => fn.handler as T;
    const handlers = Object.fromEntries(byTrigger('api').map((fn) => [fn.definition.name, handlerOf<ProxyHandler>(fn)])) as Record<
      RouteFunctionName,
      ProxyHandler
    >;
    const [authorizerFunction] = byTrigger('authorizer');
    if (!authorizerFunction) throw new Error('the manifest names no authorizer');
    const authorizer = handlerOf<AuthorizerHandler>(authorizerFunction);
    const streamConsumer = (name: FunctionName) => handlerOf<DynamoDbStreamHandler>(loaded.get(name) as LoadedFunction);
    const relay = streamConsumer('relay');
    const replicator = streamConsumer('move-replicator');
    const sqsClient = new SQSClient({ endpoint: sqs.endpoint });
    const jobSources = byTrigger('queues').flatMap((consumer) => {
      const { trigger } = consumer.definition;
      return JOB_QUEUES.filter((queue) => trigger.kind === 'queues' && trigger.queues.includes(queue.name)).map((queue) =>
        startSqsEventSource({
          client: sqsClient,
          queueUrl: sqs.queueUrl(queue.name),
          queueArn: sqs.queueArn(queue.name),
          deadLetterQueueUrl: sqs.queueUrl(queue.deadLetterQueue),
          handler: measureJobDwell(queue.name, handlerOf<SqsBatchHandler>(consumer), registry),
          batchSize: queue.batchSize,
          maxConcurrency: queue.maxConcurrency,
          visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? VISIBILITY_TIMEOUT_SECONDS,
          maxReceiveCount: queue.maxReceiveCount,
          functionName: consumer.definition.name,
        }),
      );
    });
    running.push(...jobSources);
    const streamSources = await Promise.all(
      config.shards.map((shard) =>
        startDynamoDbStreamSource({
          endpoint: dynamo.endpoint,
          tableName: localTableName.shard(shard.name),
          checkpointFile: join(dataDir, 'stream-checkpoints', `${shard.name}.json`),
          handler: relay,
          functionName: 'relay',
        }),
      ),
    );
    running.push(...streamSources);
    config.shards.forEach((shard, index) => relaysByShard.set(shard.name, streamSources[index]!));
    const replicatorSources = await startMoveReplicators({ config, endpoint: dynamo.endpoint, dataDir, handler: replicator });
    running.push(...replicatorSources);

    // Started after the job and stream sources, so a resumed migration finds dual-write flowing; stopped before them.
    // The Step Functions loop's stand-in invokes the migration step function, as the state machine does on AWS.
    const [stepFunction] = byTrigger('state-machine');
    if (!stepFunction) throw new Error('the manifest names no state-machine function');
    const step = handlerOf<(input: StepInput, context: Context) => Promise<StepOutput>>(stepFunction);
    const startRunner = () =>
      startMigrationLoop({
        migrations: platform().migrations,
        run: (id, budgetMs) => step({ migrationId: id }, lambdaContext('migration-step', Date.now() + budgetMs + STEP_MARGIN_MS)),
      });
    migrationLoop = await startRunner();
    running.push({ stop: async () => migrationLoop?.stop() });

    // The EventBridge schedule's stand-in invokes the repair function, as the rule does on AWS; stopped before the sources.
    const repairFunction = loaded.get('repair');
    const repairLoop =
      options.repair && repairFunction
        ? startRepairLoop({
            run: (event, budgetMs) =>
              handlerOf<(event: unknown, context: Context) => Promise<unknown>>(repairFunction)(
                event,
                lambdaContext('repair', Date.now() + budgetMs + REPAIR_MARGIN_MS),
              ),
            ...options.repair,
          })
        : undefined;
    if (repairLoop) running.push(repairLoop);

    const bridge = createApiGatewayBridge({
      stageName: config.api.stageName,
      authorizerCacheSeconds: config.api.authorizerCacheSeconds,
      adminToken,
      handlers,
      authorizer,
      tiers: config.tiers,
      onResponse: recordApiResponses(registry),
      serveLocal: (request, response) => opsConsole.serve(request, response),
    });
    const port = await listen(bridge.server, options.port);
    url = `http://127.0.0.1:${port}`;
    writePlatformUrl(dataDir, url);
    running.push({
      stop: () =>
        new Promise<void>((resolveClose) => {
          bridge.server.close(() => resolveClose());
          bridge.server.closeAllConnections();
        }),
    });
    const demo = options.demo === false ? undefined : await ensureDemoTenant(dataDir);
    if (options.heartbeat) {
      const { canary = true, monitor = true } = options.heartbeat;
      // Pushed after the bridge, so they stop first: no canary request is cut off by the bridge closing under it.
      if (canary) {
        const tenant = await ensureCanaryTenant(dataDir);
        heartbeat.canary = startHeartbeatCanaryLoop({
          api: createCanaryApiClient({ baseUrl: url, token: tenant.token }),
          intervalMs: (options.heartbeat.canaryIntervalSeconds ?? 60) * 1000,
          // Wait for the comment to be searchable when this platform runs search, as the Lambda canary does.
          awaitSearch: process.env[ENV.search] !== undefined,
          retentionHours: config.operations.canary.retentionHours,
        });
        running.push(heartbeat.canary);
      }
      if (monitor) {
        heartbeat.monitor = startHeartbeatMonitorLoop({
          registry,
          periodMs: (options.heartbeat.monitorPeriodSeconds ?? 30) * 1000,
          ...(options.heartbeat.monitorConfig ? { config: options.heartbeat.monitorConfig } : {}),
          ...(options.heartbeat.log ? { log: options.heartbeat.log } : {}),
        });
        running.push(heartbeat.monitor);
      }
    }

    return {
      url,
      ...(output ? { logFile: output.file } : {}),
      registry,
      adminToken,
      dynamoEndpoint: dynamo.endpoint,
      sqs,
      jobSources,
      streamSources,
      get migrationLoop() {
        return migrationLoop as MigrationLoop;
      },
      async restartMigrationLoop() {
        await migrationLoop?.stop();
        migrationLoop = await startRunner();
      },
      replicatorSources,
      ...(repairLoop ? { repairLoop } : {}),
      functions: environments.map(({ definition, environment }) => ({
        name: definition.name,
        trigger: definition.trigger,
        module: (loaded.get(definition.name) as LoadedFunction).module,
        environment,
      })),
      ...(simulator ? { simulator } : {}),
      ...(demo ? { demo } : {}),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
