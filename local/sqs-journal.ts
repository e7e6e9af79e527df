// The SQS emulator's journal: every change to a queued message (sent, received, deleted, purged) is appended to
// `<dataDir>/sqs-journal.jsonl` as the emulator makes it, so a restart finds exactly the messages it held, whatever
// ended the process. Each change is written synchronously (write(2)) the moment it happens, which survives a kill of
// the process (SIGKILL, OOM killer, crash): the bytes are in the kernel's page cache. And no answer leaves the
// emulator before the file has been fdatasync'd (`durable()`), so what a client was told (a send answered, a delete
// acknowledged) also survives a power loss or a kernel crash, as an acknowledged SendMessage does on AWS. That is
// needed because the stream checkpoint, which moves past a change once its job is sent, is itself flushed: a journal
// that reached only the page cache could lose, in a power loss, a job whose change the stream never delivers again.
// The sync runs off the event loop and is shared by every answer waiting at that moment.
// The journal is compacted, rewritten as the messages still held and renamed over, at every start and whenever what
// was appended since outgrows COMPACT_AFTER_BYTES (and the compacted size).
import { appendFileSync, closeSync, fdatasync, fdatasyncSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpointFile, removeCheckpointFile, replaceFile } from './checkpoint-file.js';

export const SQS_JOURNAL_FILE = 'sqs-journal.jsonl';
// Before the journal, the emulator wrote its messages here on a graceful stop only; one found at start is read once.
const SNAPSHOT_FILE = 'sqs-snapshot.json';
const COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

export type JournaledAttributes = Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;

export interface JournaledMessage {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes?: JournaledAttributes;
  readonly messageGroupId?: string;
  readonly receiveCount: number;
  readonly sentTimestamp: string;
  readonly firstReceiveTimestamp?: string;
  readonly deadLetterQueueSourceArn?: string;
}

/** A message and the (physical) queue that holds it. */
export interface QueuedMessage {
  readonly queue: string;
  readonly message: JournaledMessage;
}

/** One line of the journal. Message ids are unique, so a send of a held id is a move (a redrive to the DLQ). */
export type JournalChange =
  | { readonly op: 'send'; readonly queue: string; readonly message: JournaledMessage }
  | {
      readonly op: 'receive';
      readonly queue: string;
      readonly messageId: string;
      readonly receiveCount: number;
      readonly firstReceiveTimestamp?: string;
    }
  | { readonly op: 'delete'; readonly queue: string; readonly messageId: string }
  | { readonly op: 'purge'; readonly queue: string };

export interface SqsJournal {
  /** Records a change the emulator has just made; a failure to write makes every later `durable()` fail. */
  append(change: JournalChange): void;
  /** Resolves once every change appended so far is on disk. */
  durable(): Promise<void>;
  /** Flushes and closes the file; changes made after this are not recorded (the emulator is stopping). */
  close(): Promise<void>;
}

export class CorruptJournalError extends Error {
  constructor(path: string, line: number, cause: string) {
    super(
      `${path} line ${line} is not an SQS journal entry (${cause}): restore the file from a backup, or move it away to start ` +
        'without the queued jobs it holds (the changes they carry are not sent again).',
    );
  }
}

export class UnknownJournalQueueError extends Error {
  constructor(path: string, queueName: string) {
    super(
      `${path} holds messages for queue ${queueName}, which lambdas/queues.ts no longer defines: ` +
        'add the queue back to drain them, or move the file away to start without them.',
    );
  }
}

function apply(held: Map<string, QueuedMessage>, change: JournalChange): void {
  switch (change.op) {
    case 'send':
      held.delete(change.message.messageId);
      held.set(change.message.messageId, { queue: change.queue, message: change.message });
      return;
    case 'receive': {
      const found = held.get(change.messageId);
      if (found?.queue !== change.queue) return;
      const { firstReceiveTimestamp: _previous, ...message } = found.message;
      held.set(change.messageId, {
        queue: change.queue,
        message: {
          ...message,
          receiveCount: change.receiveCount,
          ...(change.firstReceiveTimestamp ? { firstReceiveTimestamp: change.firstReceiveTimestamp } : {}),
        },
      });
      return;
    }
    case 'delete':
      if (held.get(change.messageId)?.queue === change.queue) held.delete(change.messageId);
      return;
    case 'purge':
      for (const [messageId, { queue }] of held) if (queue === change.queue) held.delete(messageId);
      return;
  }
}

const OPS = new Set(['send', 'receive', 'delete', 'purge']);

function parse(path: string, line: string, number: number): JournalChange {
  let change: JournalChange;
  try {
    change = JSON.parse(line) as JournalChange;
  } catch (error) {
    throw new CorruptJournalError(path, number, (error as Error).message);
  }
  if (typeof change?.queue !== 'string' || !OPS.has(change.op))
    throw new CorruptJournalError(path, number, `unknown entry ${line.slice(0, 80)}`);
  return change;
}

/** The messages an earlier version's snapshot holds, by queue. */
function snapshotMessages(path: string): QueuedMessage[] {
  const snapshot = readCheckpointFile(path) as { version?: number; queues?: Record<string, JournaledMessage[]> } | undefined;
  if (snapshot === undefined) return [];
  if (snapshot.version !== 1 || typeof snapshot.queues !== 'object') {
    throw new Error(`${path} is not an SQS snapshot this version understands: move it away to start without its messages.`);
  }
  return Object.entries(snapshot.queues).flatMap(([queue, messages]) => messages.map((message) => ({ queue, message })));
}

/** Every message the journal (and an earlier version's snapshot) holds undeleted, oldest first. */
export function readSqsJournal(dataDir: string): QueuedMessage[] {
  const held = new Map<string, QueuedMessage>();
  for (const queued of snapshotMessages(join(dataDir, SNAPSHOT_FILE))) held.set(queued.message.messageId, queued);
  const path = join(dataDir, SQS_JOURNAL_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [...held.values()];
    throw error;
  }
  // What follows the last newline is empty, or a line a kill cut short: a change whose request was never answered.
  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, index) => apply(held, parse(path, line, index + 1)));
  return [...held.values()];
}

const compacted = (messages: readonly QueuedMessage[]) =>
  messages.map(({ queue, message }) => `${JSON.stringify({ op: 'send', queue, message } satisfies JournalChange)}\n`).join('');

/**
 * Rewrites the journal to hold exactly `held` and opens it for appending. `live` returns the messages the emulator
 * holds at that moment, for the compactions while it runs.
 */
export function openSqsJournal(dataDir: string, held: readonly QueuedMessage[], live: () => readonly QueuedMessage[]): SqsJournal {
  const path = join(dataDir, SQS_JOURNAL_FILE);
  let compactedBytes = 0;
  const compact = (messages: readonly QueuedMessage[]) => {
    const text = compacted(messages);
    replaceFile(path, text);
    compactedBytes = Buffer.byteLength(text);
    return openSync(path, 'a', 0o600);
  };
  let fd = compact(held);
  // Only now does the journal hold the snapshot's messages.
  removeCheckpointFile(join(dataDir, SNAPSHOT_FILE));

  let appended = 0;
  let synced = 0;
  let bytesSinceCompaction = 0;
  let syncing: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let failure: Error | undefined;
  const fail = (error: unknown) => {
    if (failure) return;
    failure = new Error(
      `the SQS journal ${path} could not be written (${(error as Error).message}): no queue change is acknowledged any more; ` +
        'stop the platform, free or fix the disk and start it again.',
    );
    console.error(`[sqs] ${failure.message}`);
  };

  const syncOnce = () =>
    new Promise<void>((resolveSync, reject) => {
      const upTo = appended;
      fdatasync(fd, (error) => {
        syncing = undefined;
        if (error) {
          fail(error);
          reject(failure);
        } else {
          synced = Math.max(synced, upTo);
          resolveSync();
        }
      });
    });

  const close = async () => {
    await syncing?.catch(() => undefined);
    try {
      if (!failure) {
        fdatasyncSync(fd);
        synced = appended;
      }
    } catch (error) {
      fail(error);
    } finally {
      closeSync(fd);
    }
  };

  return {
    append(change) {
      if (closing || failure) return;
      try {
        const line = `${JSON.stringify(change)}\n`;
        appendFileSync(fd, line);
        appended++;
        bytesSinceCompaction += Buffer.byteLength(line);
        if (bytesSinceCompaction > Math.max(COMPACT_AFTER_BYTES, compactedBytes)) {
          const previous = fd;
          fd = compact(live());
          bytesSinceCompaction = 0;
          // The compacted file is on disk and holds every change so far.
          synced = appended;
          const closePrevious = () => closeSync(previous);
          if (syncing) syncing.then(closePrevious, closePrevious);
          else closePrevious();
        }
      } catch (error) {
        fail(error);
      }
    },
    async durable() {
      const target = appended;
      // Once closing, the final flush is the one to wait for: no sync may start on a descriptor about to close.
      while (synced < target && !failure) await (closing ?? (syncing ??= syncOnce()));
      if (failure) throw failure;
    },
    close: () => (closing ??= close()),
  };
}
