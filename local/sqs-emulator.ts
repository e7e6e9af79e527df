// Runs local-aws-sqs inside the platform process with the job queues of lambdas/queues.ts, so the SQS adapter talks
// the same protocol to the same queue layout (redrive to a DLQ after maxReceiveCount) as on AWS. The emulator keeps
// messages in memory; with a data directory every change to them is journaled (local/sqs-journal.ts) before any
// answer leaves, so a message whose send was answered and that nobody deleted is there after a restart, graceful or
// `kill -9`, with its receive count: a poison message still reaches its DLQ after maxReceiveCount receives.
// A visibility timeout does not outlive the process: every receiver of this emulator runs in the platform process, so
// a message in flight when it ended is held by nobody. At start it is visible again, or in its DLQ when its receives
// are used up, instead of hidden for the rest of a 15-minute timeout from a consumer that no longer exists.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRequestHandler } from 'local-aws-sqs';
import { DLQ_RETENTION_DAYS, JOB_QUEUES, localQueueName, VISIBILITY_TIMEOUT_SECONDS } from '../lambdas/queues.js';
import {
  openSqsJournal,
  readSqsJournal,
  SQS_JOURNAL_FILE,
  UnknownJournalQueueError,
  type JournaledAttributes,
  type JournaledMessage,
  type QueuedMessage,
  type SqsJournal,
} from './sqs-journal.js';

const ACCOUNT_ID = '000000000000';

export interface SqsEmulatorOptions {
  /** Directory for the journal that carries undeleted messages across a restart; nothing is kept when omitted. */
  readonly dataDir?: string;
  /** Port on 127.0.0.1; a free port when omitted. */
  readonly port?: number;
}

export interface SqsEmulator {
  readonly endpoint: string;
  readonly region: string;
  /** URL of a job queue or dead-letter queue by its logical name (`jobs`, `jobs-dlq`, …). */
  queueUrl(name: string): string;
  queueArn(name: string): string;
  /** Seconds since the oldest undeleted message of a queue was sent (SQS reports this only to CloudWatch). */
  oldestAgeSeconds(name: string): number | null;
  /** Closes the endpoint and the journal. */
  stop(): Promise<void>;
}

/**
 * What the journal reads from local-aws-sqs 2.0.2 (pinned). The emulator keeps its messages in a private array; the
 * seams are the per-queue `newRecord` that every send, batch send and redrive to the DLQ calls, and the public
 * `receive`, `delete`, `changeVisibility` and `purge` its actions (and its message move tasks) call.
 */
interface EmulatorQueue {
  readonly QueueName: string;
  readonly MessageRetentionPeriod: number;
  readonly RedrivePolicy?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
  newRecord: (record: EmulatorRecord, delaySeconds: number) => EmulatorEntry;
  setRecord: (
    input: {
      MessageBody: string;
      MessageAttributes?: JournaledAttributes;
      MessageGroupId?: string;
      MessageSystemAttributes?: JournaledAttributes;
    },
    messageId: string,
  ) => EmulatorEntry;
  receive(input: { VisibilityTimeout?: number; WaitTimeSeconds?: number; MaxNumberOfMessages?: number }): Promise<EmulatorRecord[]>;
  /** Throws on a receipt handle it cannot read; deletes the message the handle names, if it is still there. */
  delete(receiptHandle: string): boolean;
  /** Counts as a receive in local-aws-sqs: it adds one to the receive count. */
  changeVisibility(receiptHandle: string, visibilityTimeout: number): boolean;
  /** Empties the queue a minute later, then calls `done`. */
  purge: (done?: () => void) => boolean;
  clearRecords(): void;
}

interface EmulatorRecord {
  readonly MessageId: string;
  readonly MessageBody: string;
  readonly MessageAttributes?: JournaledAttributes;
  readonly attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    ApproximateFirstReceiveTimestamp: string;
    MessageGroupId?: string;
    DeadLetterQueueSourceArn?: string;
  };
}

interface EmulatorEntry {
  readonly record: EmulatorRecord;
  // Every path that removes a message (delete, redrive, expiry, purge) clears or fires this timer, and Node marks
  // a Timeout `_destroyed` once it has fired or been cleared: that is how a kept entry is known to be gone.
  readonly tmRetention?: { readonly _destroyed?: boolean };
}

const isLive = (entry: EmulatorEntry): boolean => entry.tmRetention?._destroyed === false;

/** The message a receipt handle names: local-aws-sqs encodes base64 of a UUID followed by JSON with its MessageId. */
function messageIdOf(receiptHandle: string): string | undefined {
  const text = Buffer.from(receiptHandle, 'base64').toString('utf8');
  try {
    return (JSON.parse(text.slice(text.indexOf('{'))) as { MessageId?: string }).MessageId;
  } catch {
    return undefined;
  }
}

const arnIn = (region: string) => (physicalName: string) => `arn:aws:sqs:${region}:${ACCOUNT_ID}:${physicalName}`;

function queueDefinitions(region: string) {
  const arn = arnIn(region);
  return JOB_QUEUES.flatMap((queue) => [
    // Dead-letter queues first: the emulator refuses a redrive policy whose target does not exist yet.
    {
      QueueName: localQueueName(queue.deadLetterQueue),
      Attributes: { MessageRetentionPeriod: DLQ_RETENTION_DAYS * 24 * 3600 },
    },
    {
      QueueName: localQueueName(queue.name),
      Attributes: {
        VisibilityTimeout: VISIBILITY_TIMEOUT_SECONDS,
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: arn(localQueueName(queue.deadLetterQueue)),
          maxReceiveCount: queue.maxReceiveCount,
        }),
      },
    },
  ]);
}

function toJournaledMessage({ record }: EmulatorEntry): JournaledMessage {
  const { attributes } = record;
  return {
    messageId: record.MessageId,
    body: record.MessageBody,
    ...(record.MessageAttributes ? { messageAttributes: record.MessageAttributes } : {}),
    ...(attributes.MessageGroupId ? { messageGroupId: attributes.MessageGroupId } : {}),
    receiveCount: Number(attributes.ApproximateReceiveCount),
    sentTimestamp: attributes.SentTimestamp,
    ...(attributes.ApproximateFirstReceiveTimestamp ? { firstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp } : {}),
    ...(attributes.DeadLetterQueueSourceArn ? { deadLetterQueueSourceArn: attributes.DeadLetterQueueSourceArn } : {}),
  };
}

function restore(queue: EmulatorQueue, message: JournaledMessage): EmulatorEntry {
  const entry = queue.setRecord(
    {
      MessageBody: message.body,
      ...(message.messageAttributes ? { MessageAttributes: message.messageAttributes } : {}),
      ...(message.messageGroupId ? { MessageGroupId: message.messageGroupId } : {}),
      ...(message.deadLetterQueueSourceArn
        ? { MessageSystemAttributes: { DeadLetterQueueSourceArn: { DataType: 'String', StringValue: message.deadLetterQueueSourceArn } } }
        : {}),
    },
    message.messageId,
  );
  // The receive count is what sends a poison message to its DLQ; a restart must not grant it fresh attempts.
  Object.assign(entry.record.attributes, {
    ApproximateReceiveCount: String(message.receiveCount),
    SentTimestamp: message.sentTimestamp,
    ApproximateFirstReceiveTimestamp: message.firstReceiveTimestamp ?? '',
  });
  return entry;
}

/**
 * Where a held message is after a restart: gone once its retention period has passed since it was sent, in its DLQ
 * when its receives are used up (the redrive its visibility timeout would have made), otherwise where it was.
 */
function settle(
  queues: ReadonlyMap<string, EmulatorQueue>,
  arn: (name: string) => string,
  held: QueuedMessage,
  now: number,
): QueuedMessage[] {
  const { queue: name, message } = held;
  const queue = queues.get(name)!;
  if (now - Number(message.sentTimestamp) >= queue.MessageRetentionPeriod * 1000) return [];
  const redrive = queue.RedrivePolicy;
  if (!redrive || message.receiveCount < redrive.maxReceiveCount) return [held];
  const { firstReceiveTimestamp: _received, ...unreceived } = message;
  const deadLetter = { ...unreceived, receiveCount: 0, sentTimestamp: String(now), deadLetterQueueSourceArn: arn(name) };
  return [{ queue: redrive.deadLetterTargetArn.split(':').at(-1)!, message: deadLetter }];
}

/**
 * Keeps a reference to every message entry of a queue by id, dropping the ones the emulator has since removed, and
 * journals every change to them.
 */
function watch(queue: EmulatorQueue, entries: Map<string, EmulatorEntry>, journal: SqsJournal | undefined): void {
  const name = queue.QueueName;
  let liveAfterSweep = entries.size;
  const journalReceive = (record: EmulatorRecord) =>
    journal?.append({
      op: 'receive',
      queue: name,
      messageId: record.MessageId,
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
      ...(record.attributes.ApproximateFirstReceiveTimestamp
        ? { firstReceiveTimestamp: record.attributes.ApproximateFirstReceiveTimestamp }
        : {}),
    });

  const newRecord = queue.newRecord;
  queue.newRecord = (record, delaySeconds) => {
    const entry = newRecord(record, delaySeconds);
    if (typeof entry.tmRetention?._destroyed !== 'boolean') {
      throw new Error('local-aws-sqs changed how it stores messages: the SQS journal cannot see them; pin local-aws-sqs 2.0.2.');
    }
    entries.set(record.MessageId, entry);
    if (entries.size > 2 * liveAfterSweep + 1000) {
      for (const [messageId, kept] of entries) if (!isLive(kept)) entries.delete(messageId);
      liveAfterSweep = entries.size;
    }
    journal?.append({ op: 'send', queue: name, message: toJournaledMessage(entry) });
    return entry;
  };
  if (!journal) return;

  const receive = queue.receive.bind(queue);
  queue.receive = async (input) => {
    const records = await receive(input);
    for (const record of records) journalReceive(record);
    return records;
  };
  const remove = queue.delete.bind(queue);
  queue.delete = (receiptHandle) => {
    const deleted = remove(receiptHandle);
    const messageId = messageIdOf(receiptHandle);
    const entry = messageId === undefined ? undefined : entries.get(messageId);
    if (messageId !== undefined && entry && !isLive(entry)) {
      entries.delete(messageId);
      journal.append({ op: 'delete', queue: name, messageId });
    }
    return deleted;
  };
  const changeVisibility = queue.changeVisibility.bind(queue);
  queue.changeVisibility = (receiptHandle, visibilityTimeout) => {
    const changed = changeVisibility(receiptHandle, visibilityTimeout);
    const entry = entries.get(messageIdOf(receiptHandle) ?? '');
    if (changed && entry && isLive(entry)) journalReceive(entry.record);
    return changed;
  };
  const purge = queue.purge;
  queue.purge = (done) =>
    purge(() => {
      journal.append({ op: 'purge', queue: name });
      done?.();
    });
}

/** Holds an answer back until every change made so far is on disk: no client hears of one a power loss could undo. */
function answerWhenDurable(response: ServerResponse, journal: SqsJournal): void {
  const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
  response.end = ((...args: unknown[]) => {
    journal.durable().then(
      () => end(...args),
      (error: unknown) => response.destroy(error as Error),
    );
    return response;
  }) as ServerResponse['end'];
}

export async function startSqsEmulator(options: SqsEmulatorOptions = {}): Promise<SqsEmulator> {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const held = options.dataDir === undefined ? [] : readSqsJournal(options.dataDir);

  const { service, requestHandler } = createRequestHandler({
    port: options.port ?? 0,
    hostname: '127.0.0.1',
    region,
    accountId: ACCOUNT_ID,
    queues: queueDefinitions(region),
  });
  const queues = new Map((service.Queues as unknown as EmulatorQueue[]).map((queue) => [queue.QueueName, queue]));
  for (const { queue } of held) {
    if (!queues.has(queue)) throw new UnknownJournalQueueError(join(options.dataDir!, SQS_JOURNAL_FILE), queue);
  }

  const tracked = new Map([...queues.keys()].map((name) => [name, new Map<string, EmulatorEntry>()]));
  const now = Date.now();
  const restored = held.flatMap((queued) => settle(queues, arnIn(region), queued, now));
  for (const { queue, message } of restored) tracked.get(queue)!.set(message.messageId, restore(queues.get(queue)!, message));
  const live = (): QueuedMessage[] =>
    [...tracked].flatMap(([queue, entries]) =>
      [...entries.values()].filter(isLive).map((entry) => ({ queue, message: toJournaledMessage(entry) })),
    );
  // Written before the first request: from here on the journal, compacted, holds exactly what the emulator holds.
  const journal = options.dataDir === undefined ? undefined : openSqsJournal(options.dataDir, restored, live);
  for (const [name, queue] of queues) watch(queue, tracked.get(name)!, journal);

  const server = createServer((request, response) => {
    if (journal) answerWhenDurable(response, journal);
    void requestHandler(request, response);
  });
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
    });
  } catch (error) {
    await journal?.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  // Queue URLs are built from the port the emulator believes it serves on.
  service.PORT = port;

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    await new Promise<void>((resolveClose) => {
      server.close(() => resolveClose());
      server.closeAllConnections();
    });
    // Emptied to stop their timers, not purged: the journal keeps every message for the next start.
    for (const queue of queues.values()) queue.clearRecords();
    await journal?.close();
  };

  const physical = (name: string) => {
    const physicalName = localQueueName(name);
    if (!queues.has(physicalName)) throw new Error(`no local queue is named ${name}: use a name from lambdas/queues.ts (JOB_QUEUES).`);
    return physicalName;
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    queueUrl: (name) => `http://127.0.0.1:${port}/${ACCOUNT_ID}/${physical(name)}`,
    queueArn: (name) => arnIn(region)(physical(name)),
    oldestAgeSeconds: (name) => {
      let oldest = Infinity;
      for (const entry of tracked.get(physical(name))?.values() ?? []) {
        if (isLive(entry)) oldest = Math.min(oldest, Number(entry.record.attributes.SentTimestamp));
      }
      return oldest === Infinity ? null : Math.max(0, (Date.now() - oldest) / 1000);
    },
    stop: () => (stopped ??= stop()),
  };
}
