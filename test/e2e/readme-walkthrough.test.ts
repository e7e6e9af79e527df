// A new user's first minutes: `npm start`, the README's curl walkthrough verbatim (pasted twice into a second shell
// that knows only the platform's data directory and port), the CLI, a clean stop with no orphan Java process, a
// restart that keeps the data, and a clear exit when Java is missing. No stack trace ever reaches the user.
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/dynamodb-local.js';

const root = resolve(import.meta.dirname, '../..');
/** A line of a Node stack trace, which no command of the walkthrough or the CLI may print. */
const STACK_FRAME = /^\s+at /m;

/** The same walkthrough on the sources and on the shipped bundles (`npm start -- --bundles`). */
describe.each([['sources'], ['bundles']] as const)('README walkthrough on `npm start` from the %s', (mode) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'headroom-e2e-'));
  let port: number;
  let platform: ChildProcess;
  let url: string;
  // The first start synthesizes the bundles into the data directory; a restart runs the same ones again.
  let starts = 0;
  // CI has just synthesized this commit into cdk.out (.ci/run) and says so; elsewhere the first start synthesizes.
  const synthesized = process.env.HEADROOM_E2E_BUNDLES_DIR;
  const bundlesDir = synthesized ?? join(dataDir, 'cdk.out');

  function start(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
    const bundleArgs = mode === 'sources' ? [] : ['--', '--bundles', ...(starts++ > 0 || synthesized ? [bundlesDir] : [])];
    const child = spawn('npm', ['start', ...bundleArgs], {
      cwd: root,
      env: { ...process.env, PORT: String(port), HEADROOM_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return new Promise((resolveStart, reject) => {
      const timer = setTimeout(() => reject(new Error(`platform not ready in 180 s:\n${output}`)), 180_000);
      const check = () => {
        const match = /running at (http:\/\/\S+)/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolveStart({ child, url: match[1], output: () => output });
        }
      };
      child.stdout?.on('data', check);
      child.once('exit', (code) => reject(new Error(`platform exited with ${code}:\n${output}`)));
    });
  }

  /** Resolves with how `npm start` ended: exit code 0, or killed by the signal it was sent. */
  function stop(child: ChildProcess): Promise<string> {
    return new Promise((resolveStop) => {
      child.once('exit', (code, signal) => resolveStop(signal ?? `exit ${code}`));
      child.kill('SIGTERM');
    });
  }

  /** Live processes whose command line mentions the data directory (DynamoDB Local runs with -dbPath there). */
  function processesUsing(dir: string): string[] {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .flatMap((pid) => {
        try {
          const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\u0000', ' ');
          return cmdline.includes(dir) ? [`${pid}: ${cmdline}`] : [];
        } catch {
          return [];
        }
      });
  }

  async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (condition()) return true;
      await sleep(200);
    }
    return condition();
  }

  function walkthroughScript(): string {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = /<!-- walkthrough -->\s*```bash\n([\s\S]*?)```/.exec(readme)?.[1];
    if (!block) throw new Error('README has no walkthrough block');
    return block;
  }

  /** The second terminal of the README: the platform's PORT and HEADROOM_DATA_DIR, and no other hint of its URL. */
  function secondShellEnv(): NodeJS.ProcessEnv {
    const { HEADROOM_ENDPOINT: _endpoint, HEADROOM_ADMIN_TOKEN: _token, ...env } = process.env;
    return { ...env, PORT: String(port), HEADROOM_DATA_DIR: dataDir };
  }

  function pasteWalkthrough() {
    const script = `set -euo pipefail\n${walkthroughScript()}\necho "TOKEN=$TOKEN"\necho "CONVERSATION=$CONVERSATION"`;
    const run = spawnSync('bash', ['-c', script], { cwd: root, env: secondShellEnv(), encoding: 'utf8' });
    return {
      ...run,
      token: /TOKEN=(hr_\S+)/.exec(run.stdout)?.[1] ?? '',
      conversationId: /CONVERSATION=(\S+)/.exec(run.stdout)?.[1] ?? '',
    };
  }

  beforeAll(async () => {
    port = await freePort();
    ({ child: platform, url } = await start());
  }, 200_000);

  afterAll(async () => {
    if (platform.exitCode === null) await stop(platform);
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('the walkthrough', () => {
    if (mode === 'bundles') {
      it('runs the handlers from the synthesized bundles', () => {
        expect(readdirSync(bundlesDir).some((entry) => entry.startsWith('asset.'))).toBe(true);
      });
    }
    let token: string;
    let conversationId: string;

    it('prints the demo token, and the demo tenant works', async () => {
      const demoToken = readFileSync(join(dataDir, 'demo-token'), 'utf8').trim();
      const response = await fetch(`${url}/v1/conversations`, { headers: { authorization: `Bearer ${demoToken}` } });
      expect(response.status).toBe(200);
    });

    it('runs the curl walkthrough verbatim', () => {
      const run = pasteWalkthrough();
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(STACK_FRAME);
      ({ token, conversationId } = run);
      expect(token).toMatch(/^hr_/);
      expect(run.stdout).toContain('"body":"Extinguisher on its way."');
      expect(run.stdout).toContain(`"id":"${conversationId}"`);
      expect(run.stdout).toContain('The printer on floor 3 is on fire 🔥');
      expect(run.stdout).toContain('"type":"https://headroom.dev/problems/validation-failed"');
    });

    it('runs it again in the same platform: a new token for acme, the conversation replayed', async () => {
      const run = pasteWalkthrough();
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(STACK_FRAME);
      expect(run.stderr).toContain('Tenant acme already existed: its API token was rotated');
      expect(run.token).toMatch(/^hr_/);
      expect(run.token).not.toBe(token);
      expect(run.conversationId).toBe(conversationId);
      expect(run.stdout).toContain('"commentCount":2');
      const old = await fetch(`${url}/v1/conversations`, { headers: { authorization: `Bearer ${token}` } });
      expect(old.status).toBe(401);
      token = run.token;
    });

    it('drives the admin API with the CLI, as tables and as JSON', () => {
      // Nothing but the data directory: the CLI finds the platform through the URL `npm start` wrote there.
      const { PORT: _port, ...env } = secondShellEnv();
      const json = spawnSync('npx', ['headroom', 'status', '--json'], { cwd: root, env, encoding: 'utf8' });
      expect(json.status, json.stderr).toBe(0);
      // demo, canary (the heartbeat canary's tenant, created by `npm start`) and acme.
      expect(JSON.parse(json.stdout)).toMatchObject({ endpoint: url, tenants: 3 });
      const human = spawnSync('npx', ['headroom', 'tenants', 'show', 'acme', '--endpoint', url], { cwd: root, env, encoding: 'utf8' });
      expect(human.stdout).toMatch(/^id\s+acme$/m);
      const bad = spawnSync('npx', ['headroom', 'tenants', 'show', 'NOT/VALID', '--endpoint', url], { cwd: root, env, encoding: 'utf8' });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/tenant ids are/);
      expect(bad.stderr).not.toMatch(STACK_FRAME);
    });

    it('drives flags and queues with the CLI, refusing an invalid flag file with the JSON path at fault', () => {
      const env = { ...process.env, HEADROOM_DATA_DIR: dataDir, HEADROOM_ENDPOINT: url };
      const dir = mkdtempSync(join(tmpdir(), 'headroom-flagfile-'));
      const bad = join(dir, 'bad.json');
      writeFileSync(
        bad,
        JSON.stringify({
          state: 'ENABLED',
          variants: { on: true, off: false },
          defaultVariant: 'off',
          targeting: {
            fractional: [
              ['on', 50],
              ['off', 40],
            ],
          },
        }),
      );
      const refused = spawnSync('npx', ['headroom', 'flags', 'set', 'new-inbox', '--file', bad], { cwd: root, env, encoding: 'utf8' });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('/targeting/fractional: percentages must add up to 100, got 90');
      const queues = spawnSync('npx', ['headroom', 'queues', 'status', '--json'], { cwd: root, env, encoding: 'utf8' });
      expect(queues.status, queues.stderr).toBe(0);
      expect((JSON.parse(queues.stdout) as { queue: string }[]).map((q) => q.queue).sort()).toEqual([
        'jobs',
        'jobs-dlq',
        'jobs-overflow',
        'jobs-overflow-dlq',
      ]);
      rmSync(dir, { recursive: true, force: true });
    });

    it('stops cleanly on SIGTERM, leaving no Java process behind', async () => {
      expect(processesUsing(dataDir).some((line) => line.includes('DynamoDBLocal.jar'))).toBe(true);
      expect(['exit 0', 'SIGTERM']).toContain(await stop(platform));
      expect(await waitFor(() => processesUsing(dataDir).length === 0, 10_000), processesUsing(dataDir).join('\n')).toBe(true);
    });

    it('keeps acknowledged data across a restart', async () => {
      ({ child: platform, url } = await start());
      const response = await fetch(`${url}/v1/conversations/${conversationId}`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      // One comment from each paste of the walkthrough.
      expect(await response.json()).toMatchObject({ id: conversationId, commentCount: 2 });
    }, 200_000);
  });
});

describe('without Java', () => {
  it('says what to install in one line and exits 1', () => {
    const bin = mkdtempSync(join(tmpdir(), 'headroom-nojava-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    const run = spawnSync(join(bin, 'node'), ['--import', 'tsx', 'bin/local.ts'], {
      cwd: root,
      env: { ...process.env, PATH: bin, PORT: '0', HEADROOM_DATA_DIR: join(bin, 'data') },
      encoding: 'utf8',
    });
    rmSync(bin, { recursive: true, force: true });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/Java 17 or newer is required.*install/);
  });
});
