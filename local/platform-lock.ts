// One platform per data directory: two platforms on the same DynamoDB files, stream checkpoints and queues would
// quietly corrupt each other. A running platform holds `<dataDir>/platform.lock`, which holds its pid; a lock whose
// process is gone (killed with SIGKILL, crashed) is stale and the next start takes it over.
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPlatformUrl } from './platform-address.js';

export const PLATFORM_LOCK_FILE = 'platform.lock';

export class PlatformLockedError extends Error {
  readonly type = 'platform-locked';

  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    const url = readPlatformUrl(dataDir);
    super(
      `Another Headroom (pid ${pid}${url ? `, ${url}` : ''}) is running on the data directory ${dataDir}. ` +
        `Stop it first, or start this one on a data directory of its own: HEADROOM_DATA_DIR=${dataDir}-2 npm start. ` +
        `(If pid ${pid} is not a Headroom, delete ${join(dataDir, PLATFORM_LOCK_FILE)}.)`,
    );
  }
}

export interface PlatformLock {
  readonly file: string;
  /** Removes the lock, unless another process has taken it over since. */
  release(): void;
}

/** The pid in the lock file; undefined when there is no lock or it holds no pid (a torn write). */
function holderOf(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, it is merely another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A platform killed with its process group (SIGKILL) stays a zombie until whoever inherited it reaps it, and
 * signal 0 still reaches a zombie: on Linux its state in /proc/<pid>/stat (the field after the parenthesised
 * command name) says it has exited. Elsewhere there is no /proc and signal 0 decides alone.
 */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

/** Takes the data directory's lock, or throws PlatformLockedError naming the running platform's pid. */
export function acquirePlatformLock(dataDir: string): PlatformLock {
  const file = join(dataDir, PLATFORM_LOCK_FILE);
  const release = () => {
    if (holderOf(file) === process.pid) rmSync(file, { force: true });
  };
  // The pid is written first and linked into place, so no other start ever reads a lock without its pid.
  const claim = `${file}.${process.pid}`;
  writeFileSync(claim, `${process.pid}\n`);
  try {
    for (;;) {
      try {
        linkSync(claim, file);
        return { file, release };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = holderOf(file);
      if (holder !== undefined && isRunning(holder)) throw new PlatformLockedError(dataDir, holder);
      // Stale: its platform is gone without releasing it.
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(claim, { force: true });
  }
}
