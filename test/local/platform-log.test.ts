// What `npm start` prints where: the routing on a real Powertools Logger and Metrics instance (terminal at WARN and
// above, every line in the capped file, EMF to the metrics sink), then `npm start` itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../local/dynamodb-local.js';
import { createMetricsRegistry } from '../../local/metrics-registry.js';
import { METRICS_FILE } from '../../local/metrics-sink.js';
import { PLATFORM_URL_FILE } from '../../local/platform-address.js';
import { PLATFORM_LOCK_FILE } from '../../local/platform-lock.js';
import { LOG_FILE, startPlatformLog, type PlatformLogOptions } from '../../local/platform-log.js';

const root = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-log-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('the platform log', () => {
  // What reaches the terminal: the writers the routing finds on stdout and stderr, replaced here by recorders.
  let terminal: string;
  const writers = { stdout: process.stdout.write, stderr: process.stderr.write };
  beforeEach(() => {
    terminal = '';
    const record = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
      terminal += String(chunk);
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') done();
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = record;
    process.stderr.write = record;
  });
  afterEach(() => {
    process.stdout.write = writers.stdout;
    process.stderr.write = writers.stderr;
  });

  const started = (options: Partial<PlatformLogOptions> = {}) => {
    const emf: string[] = [];
    const dir = dataDir();
    const log = startPlatformLog({ dataDir: dir, terminalLevel: 'warn', onEmf: (line) => emf.push(line), ...options });
    return { log, emf, read: () => readFileSync(log.file, 'utf8') };
  };

  /** A handler's logger as Powertools builds it: its own Console on this process's stdout and stderr. */
  const handlerLogger = () => new Logger({ serviceName: 'headroom', logLevel: 'DEBUG' });

  it('keeps the terminal at WARN and above, and the banner and alarm lines, while the file gets every line', () => {
    const { log, read } = started();
    const logger = handlerLogger();
    process.stdout.write('Headroom is running at http://127.0.0.1:8787\n');
    logger.debug('cache refreshed');
    logger.info('llm request served');
    logger.warn('flag store stale');
    logger.error('unhandled error');
    process.stderr.write('*** HEARTBEAT ALARM *** customers cannot write: 0 writes committed.\n');
    process.stderr.write('*** HEARTBEAT OK *** customers can write again after 95 s.\n');
    log.close();

    expect(terminal).toContain('Headroom is running at http://127.0.0.1:8787\n');
    expect(terminal).toContain('"message":"flag store stale"');
    expect(terminal).toContain('"message":"unhandled error"');
    expect(terminal).toContain('*** HEARTBEAT ALARM ***');
    expect(terminal).toContain('*** HEARTBEAT OK ***');
    expect(terminal).not.toContain('llm request served');
    expect(terminal).not.toContain('cache refreshed');
    const lines = read().trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('Headroom is running at http://127.0.0.1:8787');
    expect(lines.slice(1, 5).map((line) => (JSON.parse(line) as { level: string; message: string }).level)).toEqual([
      'DEBUG',
      'INFO',
      'WARN',
      'ERROR',
    ]);
  });

  it('shows INFO lines in the terminal when asked to', () => {
    const { log } = started({ terminalLevel: 'info' });
    const logger = handlerLogger();
    logger.debug('cache refreshed');
    logger.info('llm request served');
    log.close();
    expect(terminal).toContain('"message":"llm request served"');
    expect(terminal).not.toContain('cache refreshed');
  });

  it("hands a bundle's EMF documents to the metrics sink, and to neither the terminal nor the log file", () => {
    const { log, emf, read } = started({ terminalLevel: 'debug' });
    const registry = createMetricsRegistry();
    // A bundle's own Metrics instance, which prints to stdout as on Lambda.
    const metrics = new Metrics({ namespace: 'Headroom', serviceName: 'headroom' });
    metrics.addMetric('ConversationCreated', MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    log.close();

    expect(emf).toHaveLength(1);
    registry.recordEmf(emf[0]!);
    expect(registry.window('ConversationCreated', 60).sum).toBe(1);
    expect(terminal).toBe('');
    expect(read()).toBe('');
  });

  it('rotates the file at its cap, so the logs never hold more than twice the cap', () => {
    const { log, read } = started({ maxBytes: 2000 });
    const logger = handlerLogger();
    for (let i = 0; i < 200; i++) logger.info('job applied', { i });
    log.close();

    expect(statSync(log.file).size).toBeLessThanOrEqual(2000);
    expect(statSync(`${log.file}.1`).size).toBeLessThanOrEqual(2000);
    expect(statSync(`${log.file}.1`).size).toBeGreaterThan(1000);
    expect((JSON.parse(read().trimEnd().split('\n').at(-1)!) as { i: number }).i).toBe(199);
  });

  it('gives stdout and stderr back their writers when closed', () => {
    const { log } = started();
    log.close();
    handlerLogger().info('after the platform');
    expect(terminal).toContain('after the platform');
  });
});

describe('`npm start` output', () => {
  /** `npm start` as its script runs it, on its own data directory and port, with the heartbeat off. */
  async function npmStart(dir: string, env: Record<string, string> = {}) {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
      cwd: root,
      env: { ...process.env, PORT: String(port), HEADROOM_DATA_DIR: dir, HEADROOM_HEARTBEAT: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready in 90 s:\n${output}`)), 90_000);
      child.stdout?.on('data', () => {
        const match = /running at (http:\/\/\S+)/.exec(output);
        if (match?.[1] && output.includes('Stop with Ctrl-C.')) {
          clearTimeout(timer);
          resolveUrl(match[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
    });
    const token = /token: (hr_\S+)/.exec(output)?.[1] ?? '';
    const post = (body: unknown) =>
      fetch(`${url}/v1/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((response) => response.status);
    return { child, url, post, output: () => output };
  }

  const stopped = (child: ChildProcess) =>
    new Promise<number | null>((resolveExit) => {
      child.once('exit', (code) => resolveExit(code));
      child.kill('SIGTERM');
    });

  it('keeps INFO lines and EMF out of the terminal, writes them where the banner says, and cleans up on stop', async () => {
    const dir = dataDir();
    const platform = await npmStart(dir);
    const logFile = join(dir, LOG_FILE);
    try {
      expect(platform.output()).toContain(`Logs: ${logFile} (`);
      expect(readFileSync(join(dir, PLATFORM_URL_FILE), 'utf8').trim()).toBe(platform.url);
      expect(readFileSync(join(dir, PLATFORM_LOCK_FILE), 'utf8').trim()).toBe(String(platform.child.pid));
      // A refused request logs INFO "request refused"; a created conversation emits ConversationCreated as EMF.
      expect(await platform.post({})).toBe(400);
      expect(await platform.post({ subject: 's', body: 'b', author: 'a' })).toBe(201);
      await expect.poll(() => readFileSync(logFile, 'utf8'), { timeout: 10_000 }).toContain('"message":"request refused"');
      await expect.poll(() => readFileSync(join(dir, METRICS_FILE), 'utf8'), { timeout: 10_000 }).toContain('ConversationCreated');
    } finally {
      expect(await stopped(platform.child)).toBe(0);
    }
    expect(platform.output()).not.toContain('"level":"INFO"');
    expect(platform.output()).not.toContain('"_aws"');
    expect(readFileSync(logFile, 'utf8')).toContain('Headroom is running at');
    expect(existsSync(join(dir, PLATFORM_URL_FILE))).toBe(false);
    expect(existsSync(join(dir, PLATFORM_LOCK_FILE))).toBe(false);

    // The documented way to see everything in the terminal, on the same data directory once the first has stopped.
    const verbose = await npmStart(dir, { HEADROOM_LOG_LEVEL: 'info' });
    try {
      expect(await verbose.post({})).toBe(400);
      await expect.poll(() => verbose.output(), { timeout: 10_000 }).toContain('"message":"request refused"');
    } finally {
      await stopped(verbose.child);
    }
  });

  it('refuses an unknown HEADROOM_LOG_LEVEL with the levels it takes', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
      cwd: root,
      env: { ...process.env, HEADROOM_DATA_DIR: dataDir(), HEADROOM_LOG_LEVEL: 'loud' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolveExit) => child.once('exit', resolveExit));
    expect(code).toBe(1);
    expect(stderr).toBe('HEADROOM_LOG_LEVEL must be one of debug, info, warn, error (got loud).\n');
  });
});
