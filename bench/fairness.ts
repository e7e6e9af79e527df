// `npm run bench -- fairness`: does one tenant group's burst hurt everyone else? The queue layer on the embedded
// engines (real admission router, SQS adapter with MessageGroupId, SQS emulator, event-source pollers and the
// job-consumer kit) with the same total consumer capacity in every scenario: 5 concurrent, 20 ms of work a job.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { SqsJobQueue } from '../lambdas/adapters/aws/sqs-job-queue.js';
import { MemoryControlStore } from '../lambdas/adapters/memory/memory-control-store.js';
import { MemoryConversationData } from '../lambdas/adapters/memory/memory-conversation-store.js';
import { MemoryFlagStore } from '../lambdas/adapters/memory/memory-flag-store.js';
import type { Job } from '../lambdas/core/jobs/jobs.js';
import { createOverflowRouter } from '../lambdas/core/fairness/overflow-router.js';
import type { TenantId } from '../lambdas/core/tenancy/tenancy.js';
import { jobConsumerHandler } from '../lambdas/middleware/job-consumer.js';
import { createPlatform, installPlatform } from '../lambdas/composition/platform.js';
import { lambdaContext } from '../local/lambda-context.js';
import { captureMetrics } from '../local/metrics-sink.js';
import { startLocalPlatform } from '../local/embedded-platform.js';
import { startSqsEmulator, type SqsEmulator } from '../local/sqs-emulator.js';
import { startSqsEventSource } from '../local/sqs-event-source.js';
import { closedLoop, percentile, round, type Benchmark, type BenchmarkContext } from './harness.js';

const WORK_MS = 20;
const QUIET_GROUPS = 9;
const QUIET_RATE = 5;

interface Scenario {
  readonly name: 'alone' | 'baseline' | 'overflow';
  readonly noisy: boolean;
  readonly admission: boolean;
}

interface ScenarioResult {
  readonly quiet_p50_ms: number;
  readonly quiet_p99_ms: number;
  readonly quiet_jobs: number;
  readonly noisy_jobs: number;
  readonly noisy_overflowed: number;
  readonly noisy_drain_s: number | null;
  readonly lost: number;
  readonly duplicates_applied: number;
  readonly duplicate_deliveries: number;
}

async function runScenario(
  emulator: SqsEmulator,
  scenario: Scenario,
  quick: boolean,
  log: BenchmarkContext['log'],
): Promise<ScenarioResult> {
  const sqs = new SQSClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const burstSeconds = quick ? 5 : 10;
  const burstJobs = quick ? 1500 : 3000;
  const quietSeconds = burstSeconds + 5;
  const applied = new Map<string, number>();
  const dwell: { group: string; ms: number; at: number }[] = [];
  let duplicateDeliveries = 0;

  // The consumer: the real kit, with a version guard that applies each (key, v) once, and 20 ms of work.
  const handler = jobConsumerHandler(async (job: Job) => {
    await sleep(WORK_MS);
    const id = `${job.tenantId}#${job.key}#${job.v}`;
    if (applied.has(id)) {
      duplicateDeliveries++;
      return 'duplicate';
    }
    applied.set(id, (applied.get(id) ?? 0) + 1);
    dwell.push({ group: job.group, ms: Date.now() - Date.parse(job.committedAt), at: Date.now() });
    return 'applied';
  });
  const invoke = (event: SQSEvent) => handler(event, lambdaContext('bench-consumer', Date.now() + 30_000)) as Promise<SQSBatchResponse>;
  // Same capacity everywhere: 5 concurrent consumers; with admission on, 4 serve the main queue and 1 the overflow.
  const sources = [
    { queue: 'jobs', concurrency: scenario.admission ? 4 : 5 },
    ...(scenario.admission ? [{ queue: 'jobs-overflow', concurrency: 1 }] : []),
  ].map(({ queue, concurrency }) =>
    startSqsEventSource({
      client: sqs,
      queueUrl: emulator.queueUrl(queue),
      queueArn: emulator.queueArn(queue),
      deadLetterQueueUrl: emulator.queueUrl(`${queue}-dlq`),
      handler: invoke,
      batchSize: 1,
      maxConcurrency: concurrency,
      visibilityTimeoutSeconds: 60,
      maxReceiveCount: 5,
      pollIntervalMs: 5,
      functionName: 'bench-consumer',
    }),
  );

  const queue = new SqsJobQueue(sqs, { jobs: emulator.queueUrl('jobs'), 'jobs-overflow': emulator.queueUrl('jobs-overflow') });
  // The noisy group's admission: 10 jobs/s with a small burst, so its excess waits on the overflow queue.
  const limits = { rate: 10, burst: 10 };
  const router = createOverflowRouter(scenario.admission ? { free: limits, standard: limits, enterprise: limits } : undefined, {
    now: () => new Date(),
  });
  const sent = new Set<string>();
  let overflowed = 0;
  const send = async (group: string, count: number, offset: number) => {
    const byQueue = new Map<string, Job[]>();
    for (let i = 0; i < count; i++) {
      const job: Job = {
        kind: 'comment',
        tenantId: group as TenantId,
        group,
        key: `${scenario.name}/${offset + i}`,
        v: 1,
        op: 'insert',
        committedAt: new Date().toISOString(),
      };
      const target = router.route(group, 'standard');
      if (target === 'jobs-overflow') overflowed++;
      byQueue.set(target, [...(byQueue.get(target) ?? []), job]);
      sent.add(`${job.tenantId}#${job.key}#${job.v}`);
    }
    for (const [target, jobs] of byQueue) {
      const { failed } = await queue.send(target as 'jobs' | 'jobs-overflow', jobs);
      if (failed.length > 0) throw new Error(`${failed.length} jobs could not be sent`);
    }
  };

  const started = Date.now();
  const producers: Promise<void>[] = [];
  for (let g = 0; g < QUIET_GROUPS; g++) {
    producers.push(
      (async () => {
        await sleep((g * 1000) / QUIET_RATE / QUIET_GROUPS);
        for (let n = 0; Date.now() - started < quietSeconds * 1000; n++) {
          await send(`quiet-${g}`, 1, n);
          await sleep(1000 / QUIET_RATE);
        }
      })(),
    );
  }
  if (scenario.noisy) {
    producers.push(
      (async () => {
        const ticks = burstSeconds * 20;
        for (let tick = 0; tick < ticks; tick++) {
          await send('noisy', Math.round(burstJobs / ticks), tick * Math.round(burstJobs / ticks));
          await sleep(50);
        }
      })(),
    );
  }
  await Promise.all(producers);
  log(`${scenario.name}: ${sent.size} jobs sent in ${round((Date.now() - started) / 1000)} s; draining`);
  const deadline = Date.now() + 120_000;
  while (applied.size < sent.size && Date.now() < deadline) await sleep(100);
  await Promise.all(sources.map((source) => source.stop()));
  sqs.destroy();

  const quiet = dwell
    .filter((d) => d.group !== 'noisy')
    .map((d) => d.ms)
    .sort((a, b) => a - b);
  const noisy = dwell.filter((d) => d.group === 'noisy');
  const result: ScenarioResult = {
    quiet_p50_ms: round(percentile(quiet, 50)),
    quiet_p99_ms: round(percentile(quiet, 99)),
    quiet_jobs: quiet.length,
    noisy_jobs: noisy.length,
    noisy_overflowed: overflowed,
    noisy_drain_s: noisy.length > 0 ? round((Math.max(...noisy.map((d) => d.at)) - started) / 1000, 1) : null,
    lost: [...sent].filter((id) => !applied.has(id)).length,
    duplicates_applied: [...applied.values()].filter((times) => times > 1).length,
    duplicate_deliveries: duplicateDeliveries,
  };
  log(`${scenario.name} ${JSON.stringify(result)}`);
  return result;
}

/** API write → change stream → relay → queue → usage meter applied, on the embedded platform. */
async function pipelineThroughput({ quick, log }: BenchmarkContext) {
  const dataDir = mkdtempSync(join(tmpdir(), 'headroom-bench-pipeline-'));
  const platform = await startLocalPlatform({ dataDir, port: 0, demo: false });
  try {
    const post = (path: string, token: string, body: unknown) =>
      fetch(`${platform.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const { token } = (await (await post('/admin/tenants', platform.adminToken, { id: 'bench', tier: 'enterprise' })).json()) as {
      token: string;
    };
    const seconds = quick ? 4 : 10;
    const started = performance.now();
    let written = 0;
    const writeRate = await closedLoop(8, seconds, async () => {
      const response = await post('/v1/conversations', token, { subject: 's', body: 'b', author: 'a' });
      await response.arrayBuffer();
      if (response.status === 201) written++;
    });
    const counted = async () =>
      (
        (await (await fetch(`${platform.url}/v1/usage?minutes=10`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
          totals: { conversations: number };
        }
      ).totals.conversations;
    while ((await counted()) < written && performance.now() - started < 120_000) await sleep(100);
    const elapsed = (performance.now() - started) / 1000;
    const result = {
      written,
      api_writes_per_s: Math.round(writeRate),
      applied: await counted(),
      end_to_end_applied_per_s: Math.round(written / elapsed),
      end_to_end_s: round(elapsed, 1),
    };
    log(`pipeline ${JSON.stringify(result)}`);
    return result;
  } finally {
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const benchmark: Benchmark = {
  goals: {
    degradation: '<= 2 (overflow.quiet_p99 / alone.quiet_p99)',
    'baseline vs alone': 'baseline.quiet_p99 >= 10 x alone.quiet_p99',
    lost: '0',
    duplicates_applied: '0',
    noisy_drain_s: 'the noisy backlog fully drains',
  },
  async run(context) {
    const pipeline = await pipelineThroughput(context);
    // The consumer kit resolves the instance-wide platform; the queue scenarios need no tables behind it.
    captureMetrics(() => undefined);
    installPlatform(
      createPlatform({
        env: {
          shards: [{ name: 'shard-0', table: 'memory' }],
          controlTable: 'memory',
          directoryCacheSeconds: 30,
          idempotencyTtlSeconds: 86_400,
          defaultTier: 'standard',
          flagCacheSeconds: 15,
          usagePlans: undefined,
        },
        stores: {
          control: new MemoryControlStore(),
          flagStore: new MemoryFlagStore(),
          conversationStore: (tenant) => new MemoryConversationData().forTenant(tenant.tenantId),
        },
        cursorKey: 'bench-cursor-key-bench-cursor-key',
      }),
    );
    const results: Partial<Record<Scenario['name'], ScenarioResult>> = {};
    for (const scenario of [
      { name: 'alone', noisy: false, admission: true },
      { name: 'baseline', noisy: true, admission: false },
      { name: 'overflow', noisy: true, admission: true },
    ] as const) {
      const emulator = await startSqsEmulator();
      results[scenario.name] = await runScenario(emulator, scenario, context.quick, context.log);
      await emulator.stop();
    }
    const { alone, baseline, overflow } = results as Record<Scenario['name'], ScenarioResult>;
    return {
      alone,
      baseline,
      overflow,
      protection: round(baseline.quiet_p99_ms / overflow.quiet_p99_ms, 2),
      degradation: round(overflow.quiet_p99_ms / alone.quiet_p99_ms, 2),
      baseline_vs_alone: round(baseline.quiet_p99_ms / alone.quiet_p99_ms, 1),
      lost: alone.lost + baseline.lost + overflow.lost,
      duplicates_applied: alone.duplicates_applied + baseline.duplicates_applied + overflow.duplicates_applied,
      pipeline,
    };
  },
};

export default benchmark;
