// `npm start`: the whole platform on one machine, on real local engines, no AWS account.
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { PortInUseError, startLocalPlatform } from '../local/embedded-platform.js';
import { JavaMissingError } from '../local/dynamodb-local.js';
import { PlatformLockedError } from '../local/platform-lock.js';
import { isLogLevel, LOG_LEVELS } from '../local/platform-log.js';
import type { HandlerSource } from '../local/function-modules.js';
import { synthesizeApp } from '../local/synthesized-app.js';

const started = performance.now();
// Build machines run Node 20 while Lambda runs 22; the SDK's upgrade notice would only add noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const port = Number(process.env.PORT ?? 8787);
const dataDir = process.env.HEADROOM_DATA_DIR ?? '.headroom';

if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a whole number from 0 to 65535 (got ${process.env.PORT}).`);
  process.exit(1);
}
// The terminal shows the handlers' log lines at this level and above; the log file in the data directory gets all.
const logLevel = (process.env.HEADROOM_LOG_LEVEL || 'warn').toLowerCase();
if (!isLogLevel(logLevel)) {
  console.error(`HEADROOM_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got ${process.env.HEADROOM_LOG_LEVEL}).`);
  process.exit(1);
}

// `npm start -- --bundles [dir]`: run the synthesized bundles `cdk deploy` ships instead of the sources, from a
// synthesized app in `dir` (e.g. cdk.out) or from a fresh synth into the data directory.
const args = process.argv.slice(2);
const unknown = args.filter((arg, index) => arg !== '--bundles' && !(index > 0 && args[index - 1] === '--bundles' && !arg.startsWith('-')));
if (unknown.length > 0) {
  console.error(`Unknown argument ${unknown[0]}. Usage: npm start [-- --bundles [<synthesized app dir>]]`);
  process.exit(2);
}
const bundlesAt = args.indexOf('--bundles');
const bundlesDir = bundlesAt >= 0 && args[bundlesAt + 1] && !args[bundlesAt + 1]?.startsWith('-') ? args[bundlesAt + 1] : undefined;

/** Seconds from an environment variable (the canary and monitor periods); exits with a clear message if invalid. */
function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 1 || value > 3600) {
    console.error(`${name} must be a number of seconds from 1 to 3600 (got ${raw}).`);
    process.exit(1);
  }
  return value;
}

// The synthetic canary and the heartbeat monitor run by default; HEADROOM_HEARTBEAT=off turns both off.
const heartbeat =
  process.env.HEADROOM_HEARTBEAT === 'off'
    ? undefined
    : {
        canaryIntervalSeconds: seconds('HEADROOM_CANARY_INTERVAL_SECONDS', 60),
        monitorPeriodSeconds: seconds('HEADROOM_MONITOR_PERIOD_SECONDS', 30),
      };

// The derived-data reconciler runs by default (docs/runbooks/derived-data-repair.md); HEADROOM_REPAIR=off turns it off.
const repair = process.env.HEADROOM_REPAIR === 'off' ? undefined : { intervalMs: seconds('HEADROOM_REPAIR_INTERVAL_SECONDS', 5) * 1000 };

try {
  let handlers: HandlerSource = 'sources';
  if (bundlesAt >= 0) {
    const dir = bundlesDir ?? join(dataDir, 'cdk.out');
    if (!bundlesDir) {
      console.log(`Synthesizing the app into ${dir} (bundling every function, about a minute)…`);
      synthesizeApp({ outdir: dir });
    }
    handlers = { bundles: dir };
  }
  const platform = await startLocalPlatform({
    dataDir,
    port,
    handlers,
    adminToken: process.env.HEADROOM_ADMIN_TOKEN,
    log: { terminalLevel: logLevel },
    ...(heartbeat ? { heartbeat } : {}),
    ...(repair ? { repair } : {}),
  });
  const token = platform.demo?.token;
  console.log(
    [
      `Headroom is running at ${platform.url} (ready in ${Math.round(performance.now() - started)} ms; data in ${dataDir}; ` +
        `handlers from ${handlers === 'sources' ? 'the sources' : `the synthesized bundles in ${handlers.bundles}`})`,
      token
        ? `Demo tenant "demo", token: ${token}`
        : 'Demo tenant "demo" exists; its token was rotated, so it is not shown (`npx headroom tokens rotate demo`).',
      `Try: curl -s ${platform.url}/v1/conversations -H "Authorization: Bearer ${token ?? '<token>'}"`,
      `Ops console: ${platform.url}/_ops${heartbeat ? ` (canary every ${heartbeat.canaryIntervalSeconds} s, heartbeat monitor every ${heartbeat.monitorPeriodSeconds} s)` : ' (canary and heartbeat monitor off)'}`,
      `Logs: ${platform.logFile} (every line; this terminal shows alarms and handler logs at ${logLevel.toUpperCase()} and above` +
        `${logLevel === 'debug' || logLevel === 'info' ? ')' : ', HEADROOM_LOG_LEVEL=info shows all of them)'}`,
      'Operator CLI: npx headroom --help. Stop with Ctrl-C.',
    ].join('\n'),
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal} received, stopping…`);
    platform
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error('Stopping failed:', error);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // A wrapper that dies without passing its signal on (`npm start` killed with SIGTERM) must not leave the
  // platform and its Java process running: when our parent goes away, stop as if told to.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && shutdown('parent exit'), 1000).unref();
} catch (error) {
  if (error instanceof JavaMissingError || error instanceof PortInUseError || error instanceof PlatformLockedError) {
    console.error(error.message);
  } else {
    console.error('Headroom could not start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
}
