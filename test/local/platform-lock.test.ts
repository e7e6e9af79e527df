// The data directory lock against real processes: one that holds it is refused to a second, one killed with SIGKILL
// leaves a stale lock the next start takes over.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { acquirePlatformLock, PLATFORM_LOCK_FILE, PlatformLockedError } from '../../local/platform-lock.js';
import { writePlatformUrl } from '../../local/platform-address.js';

const root = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-lock-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Another process that takes the data directory's lock and holds it until killed. */
async function holder(dir: string): Promise<ChildProcess> {
  const code = `import('./local/platform-lock.ts').then((lock) => { lock.acquirePlatformLock(${JSON.stringify(dir)}); console.log('held'); setInterval(() => {}, 1000); });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolveHeld, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolveHeld());
    child.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
  });
  return child;
}

const killed = (child: ChildProcess) =>
  new Promise<void>((resolveExit) => {
    child.once('exit', () => resolveExit());
    child.kill('SIGKILL');
  });

describe('the data directory lock', () => {
  it('holds the pid of the platform that took it, and is gone once released', () => {
    const dir = dataDir();
    const lock = acquirePlatformLock(dir);
    expect(readFileSync(join(dir, PLATFORM_LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    expect(existsSync(join(dir, PLATFORM_LOCK_FILE))).toBe(false);
    acquirePlatformLock(dir).release();
  });

  it('refuses a second platform while the first runs, naming its pid, its URL and what to do', async () => {
    const dir = dataDir();
    const first = await holder(dir);
    try {
      writePlatformUrl(dir, 'http://127.0.0.1:8787');
      expect(() => acquirePlatformLock(dir)).toThrow(PlatformLockedError);
      expect(() => acquirePlatformLock(dir)).toThrow(
        `Another Headroom (pid ${first.pid}, http://127.0.0.1:8787) is running on the data directory ${dir}. ` +
          `Stop it first, or start this one on a data directory of its own: HEADROOM_DATA_DIR=${dir}-2 npm start.`,
      );
      // The refused start leaves the running platform's lock alone.
      expect(readFileSync(join(dir, PLATFORM_LOCK_FILE), 'utf8').trim()).toBe(String(first.pid));
    } finally {
      await killed(first);
    }
  });

  it('refuses a second platform in the same process too', () => {
    const dir = dataDir();
    const lock = acquirePlatformLock(dir);
    expect(() => acquirePlatformLock(dir)).toThrow(new RegExp(`^Another Headroom \\(pid ${process.pid}\\)`));
    lock.release();
  });

  it('is taken over when the platform that held it was killed with SIGKILL', async () => {
    const dir = dataDir();
    await killed(await holder(dir));
    const lock = acquirePlatformLock(dir);
    expect(readFileSync(join(dir, PLATFORM_LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });

  it('is taken over when its platform was killed and is a zombie its parent has not reaped yet', async () => {
    const dir = dataDir();
    // `exec sleep` leaves the holder's parent a process that never reaps it: killed, the holder stays a zombie,
    // which signal 0 still reaches (as after a SIGKILL of the whole \`npm start\` group, until init reaps it).
    const code = `import('./local/platform-lock.ts').then((lock) => { lock.acquirePlatformLock(${JSON.stringify(dir)}); console.log('held'); setInterval(() => {}, 1000); });`;
    const parent = spawn('sh', ['-c', '"$NODE" --import tsx -e "$CODE" & exec sleep 60'], {
      cwd: root,
      env: { ...process.env, NODE: process.execPath, CODE: code },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolveHeld) =>
        parent.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolveHeld()),
      );
      const pid = Number(readFileSync(join(dir, PLATFORM_LOCK_FILE), 'utf8').trim());
      process.kill(pid, 'SIGKILL');
      const state = () => {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      };
      for (let wait = 0; wait < 50 && state() !== 'Z'; wait++) await sleep(100);
      expect(state()).toBe('Z');
      acquirePlatformLock(dir).release();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('is taken over when it holds no pid (a torn or emptied file)', () => {
    const dir = dataDir();
    writeFileSync(join(dir, PLATFORM_LOCK_FILE), '');
    acquirePlatformLock(dir).release();
  });

  it("a platform releasing a lock taken over from it leaves the new holder's lock in place", () => {
    const dir = dataDir();
    const lock = acquirePlatformLock(dir);
    writeFileSync(join(dir, PLATFORM_LOCK_FILE), '1\n');
    lock.release();
    expect(readFileSync(join(dir, PLATFORM_LOCK_FILE), 'utf8')).toBe('1\n');
  });
});
