// Two `npm start` on one machine: the second one, on a port or a data directory the first holds, says which and
// how to start beside it, and exits 1 without a stack trace and without touching the first one's files.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/dynamodb-local.js';
import { PLATFORM_LOCK_FILE } from '../../local/platform-lock.js';

const root = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-second-'));
  dirs.push(dir);
  return dir;
};

function npmStart(dir: string, port: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HEADROOM_DATA_DIR: dir, HEADROOM_HEARTBEAT: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveExit) =>
    child.once('exit', (code) => resolveExit({ code, stdout, stderr })),
  );
  return { child, exited, output: () => stdout + stderr };
}

describe('a second `npm start` on one machine', () => {
  let first: { child: ChildProcess; exited: Promise<unknown> };
  let firstDir: string;
  let firstPort: number;
  let firstUrl: string;

  beforeAll(async () => {
    firstDir = dataDir();
    firstPort = await freePort();
    const started = npmStart(firstDir, firstPort);
    first = started;
    firstUrl = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready in 90 s:\n${started.output()}`)), 90_000);
      started.child.stdout?.on('data', () => {
        const match = /running at (http:\/\/\S+)/.exec(started.output());
        if (match?.[1]) {
          clearTimeout(timer);
          resolveUrl(match[1]);
        }
      });
      void started.exited.then(() => reject(new Error(`the first platform exited:\n${started.output()}`)));
    });
  });
  afterAll(async () => {
    first?.child.kill('SIGTERM');
    await first?.exited;
    dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  it('on a taken port says so, names a free port to use instead and exits 1', async () => {
    const dir = dataDir();
    const { code, stdout, stderr } = await npmStart(dir, firstPort).exited;
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const suggested = new RegExp(
      `^Port ${firstPort} is in use \\(another Headroom\\?\\)\\. Start this one on another port: PORT=(\\d+) npm start\\n$`,
    );
    expect(stderr).toMatch(suggested);
    expect(Number(suggested.exec(stderr)?.[1])).not.toBe(firstPort);
    // The refused start held its own data directory only while it checked, and gave it back.
    expect(existsSync(join(dir, PLATFORM_LOCK_FILE))).toBe(false);
    expect(await fetch(`${firstUrl}/_ops/metrics`).then((response) => response.status)).toBe(200);
  });

  it('on a port another program holds says the same', async () => {
    const server = createServer();
    const port = await new Promise<number>((resolveListen) =>
      server.listen(0, '127.0.0.1', () => resolveListen((server.address() as { port: number }).port)),
    );
    try {
      const { code, stderr } = await npmStart(dataDir(), port).exited;
      expect(code).toBe(1);
      expect(stderr).toMatch(
        new RegExp(`^Port ${port} is in use \\(another Headroom\\?\\)\\. Start this one on another port: PORT=\\d+ npm start\\n$`),
      );
    } finally {
      server.close();
    }
  });

  it("on the first one's data directory is refused with its pid and URL and exits 1", async () => {
    const { code, stdout, stderr } = await npmStart(firstDir, await freePort()).exited;
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      `Another Headroom (pid ${first.child.pid}, ${firstUrl}) is running on the data directory ${firstDir}. ` +
        `Stop it first, or start this one on a data directory of its own: HEADROOM_DATA_DIR=${firstDir}-2 npm start.`,
    );
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    // The first platform keeps its lock and its address.
    expect(readFileSync(join(firstDir, PLATFORM_LOCK_FILE), 'utf8').trim()).toBe(String(first.child.pid));
    expect(readFileSync(join(firstDir, 'platform-url'), 'utf8').trim()).toBe(firstUrl);
  });
});
