// `npm run rehearse`: the deploy rehearsal (local/deploy-rehearsal.ts). Synthesizes the app (or reads a synthesized
// one with --assembly), then loads every function's bundle bare and invokes it with a real event for its trigger
// against the embedded engines. Exit 0 when every function answers as from source, 1 otherwise, 2 for usage.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, CommanderError, Option } from 'commander';
import { functionDefinition, type FunctionName } from '../lambdas/functions.js';
import { readCloudAssembly } from '../local/cloud-assembly.js';
import { rehearseDeploy } from '../local/deploy-rehearsal.js';
import { synthesizeApp } from '../local/synthesized-app.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command('rehearse')
  .description('Load every shipped function bundle bare and invoke it with a real event for its trigger.')
  .addOption(new Option('--assembly <dir>', 'a synthesized app (e.g. cdk.out from `npm run synth`); default: synthesize now'))
  .addOption(new Option('--only <names>', 'comma-separated function names from lambdas/functions.ts'))
  .option('--json', 'print the report as JSON')
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

try {
  program.parse();
} catch (error) {
  process.exit(error instanceof CommanderError && error.exitCode === 0 ? 0 : 2);
}
const options = program.opts<{ assembly?: string; only?: string; json?: boolean }>();
let only: FunctionName[] | undefined;
try {
  only = options.only?.split(',').map((name) => functionDefinition(name.trim()).name);
} catch (error) {
  console.error(`${(error as Error).message}. Name functions as lambdas/functions.ts does.`);
  process.exit(2);
}

const started = performance.now();
const scratch = options.assembly ? undefined : mkdtempSync(join(tmpdir(), 'headroom-synth-'));
const log = (line: string) => options.json || console.error(line);
try {
  log(options.assembly ? `reading ${options.assembly}` : 'synthesizing the app (bundling every function with esbuild)…');
  const assembly = options.assembly ? readCloudAssembly(options.assembly) : synthesizeApp({ outdir: scratch as string });
  const report = await rehearseDeploy({ assembly, log, ...(only ? { only } : {}) });
  if (options.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    const rows = report.functions.map((fn) => [
      fn.ok ? 'ok' : 'FAIL',
      fn.name,
      fn.bundleBytes === undefined ? '-' : `${(fn.bundleBytes / 1024).toFixed(0)} KiB`,
      fn.initMs === undefined ? '-' : `${fn.initMs.toFixed(0)} ms`,
      fn.detail,
    ]);
    const widths = [4, 20, 9, 8];
    console.log(['', 'function', 'bundle', 'init', 'what was checked'].map((h, i) => h.padEnd(widths[i] ?? 0)).join('  '));
    for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '));
    const failed = report.functions.filter((fn) => !fn.ok).length;
    console.log(
      `\n${report.functions.length - failed} passed, ${failed} failed (${((performance.now() - started) / 1000).toFixed(0)} s)` +
        (failed ? '\nnext: fix the functions marked FAIL; `npm run rehearse -- --only <name>` re-runs one' : ''),
    );
  }
  process.exitCode = report.ok ? 0 : 1;
} catch (error) {
  console.error(`rehearsal failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
// Pollers and clients of the embedded platform are stopped; nothing else should keep the process alive.
setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
