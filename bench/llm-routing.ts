// `npm run bench -- llm-routing`: the LLM routing layer against the provider simulator, over real HTTP through
// the OpenAI-compatible adapter. Each scenario runs a fresh router with a primary route (preferred by weight)
// and a secondary, closed-loop interactive traffic and background traffic, and injects its fault a third of the
// way in: healthy; primary outage; primary latency spike (p99 × 10); 429 storm on the primary; background flood.
// A reference run of the flood with no lane isolation shows what the background share protects against.
import { RoutingFailure } from '../lambdas/core/llm/llm-router.js';
import { BENCH_MESSAGES, benchRouter, ROUTE_CONCURRENCY } from './llm-load.js';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProviderScript } from '../local/provider-simulator.js';
import { percentile, round, type Benchmark, type BenchmarkContext } from './harness.js';

/** Model latency to the full answer (time to first token is 30 % of it): short for a model, to keep runs short. */
const HEALTHY_LATENCY = { p50Ms: 250, p99Ms: 750 };
/** Requests each simulated provider serves at once (its real capacity); more wait in its queue. */
const PROVIDER_CAPACITY = 32;
const INTERACTIVE_CONCURRENCY = 16;
/** A shed background job is retried by its consumer after a short pause, as a queue consumer would. */
const SHED_PAUSE_MS = 100;

interface Scenario {
  readonly name: string;
  /** Applied to the primary a third of the way into the run. */
  readonly fault?: Partial<ProviderScript>;
  readonly backgroundConcurrency: number;
  readonly backgroundShare?: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'healthy', backgroundConcurrency: 2 },
  { name: 'primary_outage', fault: { outage: 'error' }, backgroundConcurrency: 2 },
  {
    name: 'primary_latency_spike',
    fault: { latency: { p50Ms: HEALTHY_LATENCY.p50Ms * 10, p99Ms: HEALTHY_LATENCY.p99Ms * 10 } },
    backgroundConcurrency: 2,
  },
  { name: '429_storm', fault: { throttleRate: 1 }, backgroundConcurrency: 2 },
  { name: 'background_flood', backgroundConcurrency: 128 },
];
const REFERENCE: Scenario = { name: 'background_flood_without_isolation', backgroundConcurrency: 128, backgroundShare: 0.999 };

/** The simulator running in its own process, scripted through its HTTP control endpoint. */
interface RemoteSimulator {
  readonly url: string;
  set(name: string, patch: Partial<ProviderScript>): Promise<void>;
  reset(name: string): Promise<void>;
  stop(): Promise<void>;
}

async function startSimulatorProcess(providers: Record<string, Partial<ProviderScript>>): Promise<RemoteSimulator> {
  const child = fork(fileURLToPath(new URL('./simulator-process.ts', import.meta.url)), [JSON.stringify(providers)], {
    execArgv: ['--import', 'tsx'],
  });
  const { url } = await new Promise<{ url: string }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as { url: string }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the simulator exited with ${code}`)));
  });
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}/_control/providers/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`simulator control ${method} ${path}: ${response.status}`);
  };
  return {
    url,
    set: (name, patch) => control('PUT', name, patch),
    reset: (name) => control('POST', `${name}/reset`),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await exited;
    },
  };
}

interface AttemptLog {
  readonly at: number;
  readonly route: string;
  readonly lane: string;
  readonly degraded: boolean;
}

/** Seconds from the primary's first degraded attempt until it gets ≤ 10 % of interactive attempts for good. */
function failoverSeconds(log: readonly AttemptLog[], faultAt: number, end: number): number | null {
  const after = log.filter((entry) => entry.at >= faultAt && entry.at < end && entry.lane === 'interactive');
  const first = after.find((entry) => entry.route === 'primary' && entry.degraded);
  if (!first) return null;
  const windowMs = 500;
  for (let start = first.at; start < end; start += windowMs) {
    const settled = after
      .filter((entry) => entry.at >= start)
      .reduce<Map<number, { primary: number; all: number }>>((windows, entry) => {
        const key = Math.floor((entry.at - start) / windowMs);
        const window = windows.get(key) ?? { primary: 0, all: 0 };
        window.all++;
        if (entry.route === 'primary') window.primary++;
        return windows.set(key, window);
      }, new Map());
    if ([...settled.values()].every((window) => window.primary / window.all <= 0.1)) return round((start - first.at) / 1000, 2);
  }
  return null;
}

/** Starts the background lane's load in its own process; resolves to its counts when its time is up. */
async function backgroundLoad(simulatorUrl: string, scenario: Scenario, seconds: number) {
  const child = fork(
    fileURLToPath(new URL('./background-load-process.ts', import.meta.url)),
    [
      JSON.stringify({
        simulatorUrl,
        share: scenario.backgroundShare ?? 0.25,
        concurrency: scenario.backgroundConcurrency,
        seconds,
        shedPauseMs: SHED_PAUSE_MS,
      }),
    ],
    { execArgv: ['--import', 'tsx'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the background load exited with ${code}`)));
  });
  return {
    start: () => {
      const done = new Promise<{ served: number; shed: number }>((resolve) =>
        child.once('message', (counts) => resolve(counts as { served: number; shed: number })),
      );
      child.send('go');
      return done;
    },
  };
}

async function runScenario(scenario: Scenario, simulator: RemoteSimulator, seconds: number, log: (line: string) => void) {
  await simulator.reset('primary');
  await simulator.reset('secondary');
  const attempts: AttemptLog[] = [];
  const router = benchRouter(simulator.url, scenario.backgroundShare ?? 0.25, {
    attempt: (route, lane, outcome, ms) => {
      if (outcome === 'breaker-open' || outcome === 'no-capacity' || outcome === 'retry-budget' || outcome === 'deadline') return;
      // Logged by when the attempt started: where the router sent it is what failover is about.
      attempts.push({ at: performance.now() - ms, route, lane, degraded: outcome !== 'ok' || ms > HEALTHY_LATENCY.p99Ms * 3 });
    },
    served: () => undefined,
    failed: () => undefined,
    breaker: () => undefined,
  });
  const background = await backgroundLoad(simulator.url, scenario, seconds);

  const started = performance.now();
  const end = started + seconds * 1000;
  const faultAt = started + (seconds * 1000) / 3;
  const backgroundDone = background.start();
  const fault = scenario.fault
    ? new Promise<void>((resolve) =>
        setTimeout(
          () => void simulator.set('primary', scenario.fault as Partial<ProviderScript>).then(resolve),
          faultAt - performance.now(),
        ),
      )
    : Promise.resolve();
  const latencies: number[] = [];
  let succeeded = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: INTERACTIVE_CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await router.complete({ lane: 'interactive', messages: BENCH_MESSAGES });
          succeeded++;
        } catch (error) {
          if (!(error instanceof RoutingFailure)) throw error;
          failed++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  await fault;
  const { served, shed } = await backgroundDone;

  latencies.sort((a, b) => a - b);
  const total = succeeded + failed;
  const result = {
    interactive_requests: total,
    interactive_success_rate: round(succeeded / total, 5),
    interactive_p50_ms: round(percentile(latencies, 50)),
    interactive_p99_ms: round(percentile(latencies, 99)),
    failover_s: scenario.fault ? failoverSeconds(attempts, faultAt, end) : null,
    background_served: served,
    background_shed: shed,
  };
  log(`${scenario.name}: ${JSON.stringify(result)}`);
  return result;
}

const benchmark: Benchmark = {
  goals: {
    interactive_success_rate: '>= 0.999 in every scenario (one route is always healthy)',
    failover_s: '<= 5',
    isolation_ratio: '<= 1.2 (interactive p99 under background flood / healthy)',
  },
  async run({ quick, log }: BenchmarkContext) {
    const seconds = quick ? 5 : 30;
    const simulator = await startSimulatorProcess({
      primary: { latency: HEALTHY_LATENCY, capacity: PROVIDER_CAPACITY },
      secondary: { latency: HEALTHY_LATENCY, capacity: PROVIDER_CAPACITY },
    });
    try {
      // Connections, JIT and the simulator warm up here, outside every measured scenario.
      await runScenario({ name: 'warm-up', backgroundConcurrency: 2 }, simulator, 1, () => undefined);
      const scenarios: Record<string, Awaited<ReturnType<typeof runScenario>>> = {};
      for (const scenario of SCENARIOS) scenarios[scenario.name] = await runScenario(scenario, simulator, seconds, log);
      const reference = await runScenario(REFERENCE, simulator, seconds, log);
      const healthy = scenarios.healthy?.interactive_p99_ms ?? Number.NaN;
      return {
        seconds_per_scenario: seconds,
        interactive_concurrency: INTERACTIVE_CONCURRENCY,
        provider_capacity: PROVIDER_CAPACITY,
        route_concurrency: ROUTE_CONCURRENCY,
        healthy_latency: HEALTHY_LATENCY,
        scenarios,
        isolation_ratio: round((scenarios.background_flood?.interactive_p99_ms ?? Number.NaN) / healthy, 2),
        reference: {
          [REFERENCE.name]: reference,
          isolation_ratio_without_isolation: round(reference.interactive_p99_ms / healthy, 2),
        },
      };
    } finally {
      await simulator.stop();
    }
  },
};

export default benchmark;
