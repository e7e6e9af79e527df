// State the embedded platform must find again after a restart (stream checkpoints, the compacted SQS journal) is
// written to a temporary file, flushed and renamed over the old one, and the rename is flushed too, so a crash or a
// power loss at any moment leaves either the previous content or the new one on disk, never a torn mix that would
// make a restart lose or replay work.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class CorruptCheckpointError extends Error {
  constructor(path: string, cause: unknown) {
    super(
      `${path} is not valid JSON (${cause instanceof Error ? cause.message : String(cause)}): restore it from a backup or delete it, ` +
        'knowing that the work it recorded will be redone (stream checkpoints) or dropped (an SQS snapshot of an earlier version).',
    );
  }
}

/** The parsed file, or undefined when there is none. */
export function readCheckpointFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CorruptCheckpointError(path, error);
  }
}

export function writeCheckpointFile(path: string, value: unknown): void {
  replaceFile(path, `${JSON.stringify(value)}\n`);
}

/** Puts `text` under `path` (owner-only) so that the old content or the new one is there after any crash. */
export function replaceFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeFileSync(fd, text);
    // Without the flush, a power loss after the rename can leave an empty file under the final name.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  // The rename lives in the directory: until it is flushed, a power loss can bring the old file back.
  const directory = openSync(dirname(path), 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
}

export function removeCheckpointFile(path: string): void {
  rmSync(path, { force: true });
}
