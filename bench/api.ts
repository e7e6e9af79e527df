// `npm run bench -- api`: the cost of Headroom's request pipeline, the HTTP bridge's overhead on the write path,
// and the size and cold-start import time of every deployed function bundle, loaded bare as Lambda loads it.
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { v7 as uuidv7 } from 'uuid';
import { MemoryControlStore } from '../lambdas/adapters/memory/memory-control-store.js';
import { MemoryConversationData } from '../lambdas/adapters/memory/memory-conversation-store.js';
import { MemoryFlagStore } from '../lambdas/adapters/memory/memory-flag-store.js';
import type { TenantId } from '../lambdas/core/tenancy/tenancy.js';
import { createPlatform, installPlatform } from '../lambdas/composition/platform.js';
import { tenantAdminOf } from '../lambdas/composition/tenant-admin.js';
import { listingBucket, localTableName, shardKeys } from '../lambdas/schema.js';
import { FUNCTIONS } from '../lambdas/functions.js';
import { startBareFunction } from '../local/bare-function.js';
import { captureMetrics } from '../local/metrics-sink.js';
import { synthesizeApp } from '../local/synthesized-app.js';
import { startLocalPlatform } from '../local/embedded-platform.js';
import { closedLoop, median, percentile, round, type Benchmark, type BenchmarkContext } from './harness.js';

const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

async function handlerOverhead({ quick, log }: BenchmarkContext) {
  const control = new MemoryControlStore();
  // The in-memory repository is emptied every 10,000 requests (outside the timed calls) so the measurement is the
  // pipeline's cost, not the garbage collector's growing work over a heap of 100,000 stored conversations.
  let data = new MemoryConversationData();
  const shards = [{ name: 'shard-0', table: 'memory' }];
  const clock = { now: () => new Date() };
  const platform = createPlatform({
    env: {
      shards,
      controlTable: 'memory',
      directoryCacheSeconds: 30,
      idempotencyTtlSeconds: 86_400,
      defaultTier: 'standard',
      usagePlans: undefined,
      flagCacheSeconds: 15,
    },
    clock,
    stores: { control, flagStore: new MemoryFlagStore(), conversationStore: (tenant) => data.forTenant(tenant.tenantId) },
    cursorKey: 'bench-cursor-key-bench-cursor-key',
  });
  await tenantAdminOf(platform).create({ id: 'bench' as TenantId });
  installPlatform(platform);
  captureMetrics(() => undefined);
  const { handler } = (await import('../lambdas/handlers/create-conversation.js')) as unknown as {
    handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
  };
  const event = {
    resource: '/v1/conversations',
    path: '/v1/conversations',
    httpMethod: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'k' },
    queryStringParameters: null,
    pathParameters: null,
    isBase64Encoded: false,
    body: JSON.stringify({ subject: 'Printer on fire', body: 'The printer on floor 3 is on fire. '.repeat(10), author: 'ana@example.com' }),
    // API Gateway serves cached authorizer decisions itself; a cache hit reaches the function as this context.
    requestContext: { requestId: 'bench', authorizer: { principalId: 'bench', tenantId: 'bench' } },
  } as unknown as APIGatewayProxyEvent;

  const iterations = quick ? 20_000 : 100_000;
  const invoke = async (n: number) => {
    const result = await handler({ ...event, headers: { ...event.headers, 'idempotency-key': `k-${n}` } }, context);
    if (result.statusCode !== 201) throw new Error(`unexpected ${result.statusCode}: ${result.body}`);
  };
  for (let n = 0; n < 5_000; n++) await invoke(-n - 1);
  const latencies = new Float64Array(iterations);
  for (let n = 0; n < iterations; n++) {
    if (n % 10_000 === 0) data = new MemoryConversationData();
    const t0 = performance.now();
    await invoke(n);
    latencies[n] = performance.now() - t0;
  }
  const elapsed = latencies.reduce((sum, ms) => sum + ms, 0) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const result = {
    iterations,
    ops_per_s: Math.round(iterations / elapsed),
    p50_us: round(percentile(sorted, 50) * 1000),
    p99_us: round(percentile(sorted, 99) * 1000),
  };
  log(`handler_overhead ${JSON.stringify(result)}`);
  return result;
}

async function writePathRatio({ quick, log }: BenchmarkContext) {
  const dataDir = mkdtempSync(join(tmpdir(), 'headroom-bench-'));
  const platform = await startLocalPlatform({ dataDir, port: 0, demo: false });
  try {
    const admin = async (path: string, body: unknown) =>
      (await fetch(`${platform.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platform.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json())) as { token: string; tenant: { shard: string } };
    const { token, tenant } = await admin('/admin/tenants', { id: 'bench', tier: 'enterprise' });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const conversations: string[] = [];
    for (let i = 0; i < 64; i++) {
      const created = await fetch(`${platform.url}/v1/conversations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ subject: `c${i}`, body: 'b', author: 'a' }),
      }).then((r) => r.json() as Promise<{ id: string }>);
      conversations.push(created.id);
    }
    const concurrency = 8;
    const seconds = quick ? 4 : 15;
    const comment = JSON.stringify({ body: 'A comment of ordinary length, about a sentence or two long.', author: 'bob@example.com' });
    const pick = (worker: number, n: number) => conversations[(worker * 8 + n) % conversations.length] as string;

    const api = async () =>
      closedLoop(concurrency, seconds, async (worker, n) => {
        const response = await fetch(`${platform.url}/v1/conversations/${pick(worker, n)}/comments`, {
          method: 'POST',
          headers,
          body: comment,
        });
        await response.arrayBuffer();
        if (response.status !== 201) throw new Error(`API answered ${response.status}`);
      });

    // The same DynamoDB operation the API performs per comment (one transaction: bump the conversation, put the
    // comment), issued straight from a client. Authorizer and directory lookups are cache hits on the API side.
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: platform.dynamoEndpoint }));
    const table = localTableName.shard(tenant.shard);
    const raw = async () =>
      closedLoop(concurrency, seconds, async (worker, n) => {
        const conversationId = pick(worker, n);
        const at = new Date().toISOString();
        const id = uuidv7();
        await doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: table,
                  Key: shardKeys.conversation('bench', conversationId),
                  UpdateExpression: 'SET updatedAt = :at, gsi1sk = :gsi1sk, v = v + :one, commentCount = commentCount + :one',
                  ConditionExpression: 'attribute_exists(pk) AND deleted = :false',
                  ExpressionAttributeValues: {
                    ':at': at,
                    ':gsi1sk': shardKeys.listing('bench', listingBucket(conversationId), at, conversationId).gsi1sk,
                    ':one': 1,
                    ':false': false,
                  },
                },
              },
              {
                Put: {
                  TableName: table,
                  Item: {
                    ...shardKeys.comment('bench', conversationId, id),
                    type: 'comment',
                    tenantId: 'bench',
                    id,
                    conversationId,
                    body: comment,
                    author: 'bob',
                    createdAt: at,
                    updatedAt: at,
                    v: 1,
                    deleted: false,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        );
      });

    // Every write also feeds the change pipeline (stream → relay → queue → usage meter) on the same DynamoDB Local;
    // each round starts once the previous round's jobs are applied, so neither side pays for the other's backlog.
    const drained = async () => {
      for (;;) {
        const idle =
          platform.streamSources.every((source) => source.lag().caughtUp) &&
          platform.sqs.oldestAgeSeconds('jobs') === null &&
          platform.jobSources.every((source) => source.stats().inFlightInvocations === 0);
        if (idle) return;
        await sleep(250);
      }
    };
    // Alternate and keep the better of two rounds each, so neither side pays alone for JIT warm-up or GC.
    const apiRuns: number[] = [];
    const rawRuns: number[] = [];
    for (let round = 0; round < 2; round++) {
      await drained();
      rawRuns.push(await raw());
      await drained();
      apiRuns.push(await api());
    }
    doc.destroy();
    const apiOps = Math.max(...apiRuns);
    const rawOps = Math.max(...rawRuns);
    const result = {
      concurrency,
      seconds_per_round: seconds,
      api_ops_per_s: Math.round(apiOps),
      raw_ops_per_s: Math.round(rawOps),
      ratio: round(apiOps / rawOps, 3),
    };
    log(`write_path_ratio ${JSON.stringify(result)}`);
    return result;
  } finally {
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function timeNode(args: string[]): number {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, args, { env: { PATH: process.env.PATH }, encoding: 'utf8' });
  const elapsed = performance.now() - t0;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${run.stderr}`);
  return elapsed;
}

/**
 * Every function of the manifest as it ships: its bundle copied to a bare folder and imported by the Lambda runtime
 * stand-in (local/bare-function.ts), five cold starts each. `init_ms` is the import until the handler is found;
 * the baseline is a bare `node -e ''` started in the same run.
 */
async function bundles({ log }: BenchmarkContext) {
  const outdir = mkdtempSync(join(tmpdir(), 'headroom-cdkout-'));
  try {
    const assembly = synthesizeApp({ outdir });
    timeNode(['-e', '']);
    const bare = median(Array.from({ length: 5 }, () => timeNode(['-e', ''])));
    const results = [];
    for (const definition of FUNCTIONS) {
      const fn = assembly.functions.get(definition.name);
      if (!fn) throw new Error(`no bundle for ${definition.name}`);
      const inits: number[] = [];
      let bytes = 0;
      for (let run = 0; run < 5; run++) {
        const started = await startBareFunction({
          name: fn.name,
          assetDir: fn.assetDir,
          handler: fn.handler,
          environment: { PATH: process.env.PATH ?? '' },
          timeoutSeconds: 10,
        });
        inits.push(started.initMs);
        bytes = started.bundleBytes;
        started.stop();
      }
      const initMs = median(inits);
      results.push({ function: definition.name, bytes, init_ms: round(initMs), ratio_to_bare_node: round(initMs / bare, 2) });
    }
    log(`bundle ${JSON.stringify(results)}`);
    return { bare_node_ms: round(bare), functions: results };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const benchmark: Benchmark = {
  goals: {
    'handler_overhead.ops_per_s': '>= 10000',
    'handler_overhead.p99_us': '<= 1000',
    'write_path_ratio.ratio': '>= 0.7',
    'bundle[].bytes': '<= 1048576',
    'bundle[].init_ms': '<= 150',
  },
  async run(context) {
    // Measured first, in a fresh process: the embedded platform started afterwards installs its own composition.
    const handler_overhead = await handlerOverhead(context);
    const write_path_ratio = await writePathRatio(context);
    return { handler_overhead, write_path_ratio, bundle: await bundles(context) };
  },
};

export default benchmark;
