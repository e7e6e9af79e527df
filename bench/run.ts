// `npm run bench -- <name> [--quick]`: runs one benchmark and writes bench/results/<name>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark } from './harness.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const BENCHMARKS: Record<string, () => Promise<{ default: Benchmark }>> = {
  api: () => import('./api.js'),
  flags: () => import('./flags.js'),
  fairness: () => import('./fairness.js'),
  'llm-routing': () => import('./llm-routing.js'),
  'tenant-move': () => import('./tenant-move.js'),
  'search-migration': () => import('./search-migration.js'),
  repair: () => import('./repair.js'),
};

const [name, ...flags] = process.argv.slice(2);
const unknownFlags = flags.filter((flag) => flag !== '--quick');
if (!name || !BENCHMARKS[name] || unknownFlags.length > 0) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHMARKS).join('|')}> [--quick]`);
  process.exit(2);
}

const quick = flags.includes('--quick');
const started = Date.now();
const benchmark = (await BENCHMARKS[name]()).default;
const results = await benchmark.run({ quick, log: (line) => console.error(`[${name}] ${line}`) });
const report = {
  benchmark: name,
  quick,
  measuredAt: new Date().toISOString(),
  durationS: Math.round((Date.now() - started) / 100) / 10,
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  goals: benchmark.goals,
  results,
};
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', `${name}.json`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
console.error(`[${name}] wrote ${out}`);
process.exit(0);
