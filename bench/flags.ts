// `npm run bench -- flags`: in-process flag evaluation through the OpenFeature client with a warm cache, and on
// the embedded platform the seconds from `headroom flags kill` returning to the first API response reflecting it.
import { setTimeout as sleep } from 'node:timers/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenFeature } from '@openfeature/server-sdk';
import { MemoryFlagStore } from '../lambdas/adapters/memory/memory-flag-store.js';
import { flagAdmin } from '../lambdas/core/flags/flag-admin.js';
import { createFlagCache } from '../lambdas/core/flags/flag-cache.js';
import { HeadroomFlagProvider } from '../lambdas/core/flags/flag-provider.js';
import { startLocalPlatform } from '../local/embedded-platform.js';
import { percentile, round, type Benchmark, type BenchmarkContext } from './harness.js';

const boolFlag = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' };

async function evaluation({ quick, log }: BenchmarkContext) {
  const store = new MemoryFlagStore();
  const admin = flagAdmin({ store, clock: { now: () => new Date() } });
  // A realistic flag: tier targeting, 200 pinned tenants and a 30 % rollout.
  await admin.set(
    'new-inbox',
    { ...boolFlag, targeting: { if: [{ '==': [{ var: 'tier' }, 'enterprise'] }, 'on', null] } },
    { principal: 'bench' },
  );
  await admin.allow(
    'new-inbox',
    Array.from({ length: 200 }, (_, i) => `pinned-${i}`),
    { principal: 'bench' },
  );
  await admin.rollout('new-inbox', 30, { principal: 'bench' });
  const cache = createFlagCache({
    load: () => store.loadAll(),
    clock: { now: () => new Date() },
    ttlSeconds: 30,
    onStale: () => undefined,
  });
  const provider = new HeadroomFlagProvider(cache);
  await OpenFeature.setProviderAndWait(provider);
  const client = OpenFeature.getClient();
  const contexts = Array.from({ length: 1000 }, (_, i) => ({
    targetingKey: `tenant-${i}`,
    tier: i % 10 === 0 ? 'enterprise' : 'standard',
  }));

  const iterations = quick ? 100_000 : 500_000;
  /** Times `evaluate` per call; returns [p50 ns, p99 ns, evaluations per second, share of true]. */
  const measure = async (evaluate: (context: (typeof contexts)[number]) => Promise<boolean>) => {
    for (let i = 0; i < 20_000; i++) await evaluate(contexts[i % contexts.length]!);
    const samples = new Float64Array(iterations);
    let on = 0;
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
      const t0 = process.hrtime.bigint();
      if (await evaluate(contexts[i % contexts.length]!)) on++;
      samples[i] = Number(process.hrtime.bigint() - t0);
    }
    const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
    const sorted = [...samples].sort((a, b) => a - b);
    return [
      Math.round(percentile(sorted, 50)),
      Math.round(percentile(sorted, 99)),
      Math.round(iterations / elapsedS),
      round(on / iterations, 3),
    ];
  };
  // What handler code pays: the OpenFeature client (hooks, context merge) around the provider.
  const [p50, p99, perSecond, onShare] = await measure((context) => client.getBooleanValue('new-inbox', false, context));
  // The provider alone: flagd evaluation from the warm cache, without the SDK's hook pipeline.
  const [providerP50, providerP99] = await measure(
    async (context) => (await provider.resolveBooleanEvaluation('new-inbox', false, context)).value,
  );
  const result = {
    iterations,
    eval_p50_ns: p50,
    eval_p99_ns: p99,
    evals_per_s: perSecond,
    on_share: onShare,
    provider_eval_p50_ns: providerP50,
    provider_eval_p99_ns: providerP99,
  };
  log(`evaluation ${JSON.stringify(result)}`);
  return result;
}

async function killPropagation({ log }: BenchmarkContext) {
  const dataDir = mkdtempSync(join(tmpdir(), 'headroom-bench-flags-'));
  const platform = await startLocalPlatform({ dataDir, port: 0, demo: false });
  try {
    const request = async (method: string, path: string, token: string, body?: unknown) =>
      fetch(`${platform.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const { token } = (await (
      await request('POST', '/admin/tenants', platform.adminToken, { id: 'bench', tier: 'enterprise' })
    ).json()) as { token: string };
    await request('PUT', '/admin/flags/tenant.writes-paused', platform.adminToken, { definition: boolFlag });
    await request('POST', '/admin/flags/tenant.writes-paused/allow', platform.adminToken, { tenants: ['bench'] });
    const write = async () => (await request('POST', '/v1/conversations', token, { subject: 's', body: 'b', author: 'a' })).status;
    const waitFor = async (status: number) => {
      for (;;) {
        if ((await write()) === status) return;
        await sleep(50);
      }
    };
    await waitFor(503);
    log('writes paused for tenant bench; killing the flag with the CLI');
    // Asynchronously: the admin API the CLI calls is served by this very process.
    await promisify(execFile)(
      'npx',
      ['headroom', 'flags', 'kill', 'tenant.writes-paused', '--reason', 'bench', '--endpoint', platform.url],
      {
        env: { ...process.env, HEADROOM_ADMIN_TOKEN: platform.adminToken },
      },
    );
    const returned = performance.now();
    await waitFor(201);
    const seconds = round((performance.now() - returned) / 1000, 2);
    log(`kill reached the API ${seconds} s after the CLI returned`);
    return { kill_propagation_s: seconds, flag_cache_seconds: Number(process.env.HEADROOM_FLAG_CACHE_SECONDS) };
  } finally {
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const benchmark: Benchmark = {
  goals: { eval_p50_ns: '<= 5000', kill_propagation_s: '< 60' },
  async run(context) {
    const evaluationResult = await evaluation(context);
    const propagation = await killPropagation(context);
    return { ...evaluationResult, ...propagation };
  },
};

export default benchmark;
