// Runs local-aws-sqs inside the platform process with the job queues of lambdas/queues.ts, so the SQS adapter talks
// the same protocol to the same queue layout (redrive to a DLQ after maxReceiveCount) as on AWS. The emulator keeps
// messages in memory only; a message that was sent and not yet deleted must survive `stop()` and the next start.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRequestHandler } from 'local-aws-sqs';
import { DLQ_RETENTION_DAYS, JOB_QUEUES, localQueueName, VISIBILITY_TIMEOUT_SECONDS } from '../lambdas/queues.js';
import { readCheckpointFile, removeCheckpointFile, writeCheckpointFile } from './checkpoint-file.js';

export const SQS_SNAPSHOT_FILE = 'sqs-snapshot.json';

const ACCOUNT_ID = '000000000000';

export interface SqsEmulatorOptions {
  /** Directory for the snapshot that carries undeleted messages across a restart; nothing is kept when omitted. */
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
  /** Closes the endpoint and writes every undeleted message, in flight or not, to the snapshot. */
  stop(): Promise<void>;
}

type EmulatorMessageAttributes = Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;

/**
 * What the snapshot reads from local-aws-sqs 2.0.2 (pinned). The emulator keeps its messages in a private array;
 * the one seam is the per-queue `newRecord` function that every send, batch send and redrive to the DLQ calls.
 */
interface EmulatorQueue {
  readonly QueueName: string;
  newRecord: (record: EmulatorRecord, delaySeconds: number) => EmulatorEntry;
  setRecord: (
    input: {
      MessageBody: string;
      MessageAttributes?: EmulatorMessageAttributes;
      MessageGroupId?: string;
      MessageSystemAttributes?: EmulatorMessageAttributes;
    },
    messageId: string,
  ) => EmulatorEntry;
  clearRecords(): void;
}

interface EmulatorRecord {
  readonly MessageId: string;
  readonly MessageBody: string;
  readonly MessageAttributes?: EmulatorMessageAttributes;
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

interface SnapshotMessage {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes?: EmulatorMessageAttributes;
  readonly messageGroupId?: string;
  readonly receiveCount: number;
  readonly sentTimestamp: string;
  readonly firstReceiveTimestamp?: string;
  readonly deadLetterQueueSourceArn?: string;
}

interface Snapshot {
  readonly version: 1;
  /** By physical queue name, oldest first. */
  readonly queues: Record<string, SnapshotMessage[]>;
}

export class UnknownSnapshotQueueError extends Error {
  constructor(path: string, queueName: string) {
    super(
      `${path} holds messages for queue ${queueName}, which lambdas/queues.ts no longer defines: ` +
        'add the queue back to drain them, or move the file away to start without them.',
    );
  }
}

const isLive = (entry: EmulatorEntry): boolean => entry.tmRetention?._destroyed === false;

function queueDefinitions(region: string) {
  const arn = (physicalName: string) => `arn:aws:sqs:${region}:${ACCOUNT_ID}:${physicalName}`;
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

function toSnapshotMessage({ record }: EmulatorEntry): SnapshotMessage {
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

function restore(queue: EmulatorQueue, message: SnapshotMessage): void {
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
}

function readSnapshot(path: string): Snapshot | undefined {
  const snapshot = readCheckpointFile(path) as Snapshot | undefined;
  if (snapshot !== undefined && (snapshot.version !== 1 || typeof snapshot.queues !== 'object')) {
    throw new Error(`${path} is not an SQS snapshot this version understands: move it away to start without its messages.`);
  }
  return snapshot;
}

/** Keeps a reference to every message entry the emulator creates, dropping the ones it has since removed. */
function trackEntries(queue: EmulatorQueue): Set<EmulatorEntry> {
  const entries = new Set<EmulatorEntry>();
  let liveAfterSweep = 0;
  const newRecord = queue.newRecord;
  queue.newRecord = (record, delaySeconds) => {
    const entry = newRecord(record, delaySeconds);
    if (typeof entry.tmRetention?._destroyed !== 'boolean') {
      throw new Error('local-aws-sqs changed how it stores messages: the SQS snapshot cannot see them; pin local-aws-sqs 2.0.2.');
    }
    entries.add(entry);
    if (entries.size > 2 * liveAfterSweep + 1000) {
      for (const kept of entries) if (!isLive(kept)) entries.delete(kept);
      liveAfterSweep = entries.size;
    }
    return entry;
  };
  return entries;
}

export async function startSqsEmulator(options: SqsEmulatorOptions = {}): Promise<SqsEmulator> {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const snapshotPath = options.dataDir === undefined ? undefined : join(options.dataDir, SQS_SNAPSHOT_FILE);
  const snapshot = snapshotPath === undefined ? undefined : readSnapshot(snapshotPath);

  const { service, requestHandler } = createRequestHandler({
    port: options.port ?? 0,
    hostname: '127.0.0.1',
    region,
    accountId: ACCOUNT_ID,
    queues: queueDefinitions(region),
  });
  const queues = new Map((service.Queues as unknown as EmulatorQueue[]).map((queue) => [queue.QueueName, queue]));
  const tracked = new Map([...queues].map(([name, queue]) => [name, trackEntries(queue)]));

  if (snapshot && snapshotPath) {
    for (const name of Object.keys(snapshot.queues)) if (!queues.has(name)) throw new UnknownSnapshotQueueError(snapshotPath, name);
  }

  const server = createServer((request, response) => void requestHandler(request, response));
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  // Queue URLs are built from the port the emulator believes it serves on.
  service.PORT = port;

  if (snapshot && snapshotPath) {
    try {
      for (const [name, messages] of Object.entries(snapshot.queues)) for (const message of messages) restore(queues.get(name)!, message);
    } catch (error) {
      server.close();
      throw error;
    }
    // Removed only once the emulator serves and holds every message: a failure before this leaves the file for the
    // next start, at worst delivering its messages twice, never losing them.
    removeCheckpointFile(snapshotPath);
  }

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    await new Promise<void>((resolveClose) => {
      server.close(() => resolveClose());
      server.closeAllConnections();
    });
    const undeleted: Record<string, SnapshotMessage[]> = {};
    for (const [name, entries] of tracked) {
      const messages = [...entries].filter(isLive).map(toSnapshotMessage);
      if (messages.length > 0) undeleted[name] = messages;
    }
    if (snapshotPath && Object.keys(undeleted).length > 0)
      writeCheckpointFile(snapshotPath, { version: 1, queues: undeleted } satisfies Snapshot);
    for (const queue of queues.values()) queue.clearRecords();
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
    queueArn: (name) => `arn:aws:sqs:${region}:${ACCOUNT_ID}:${physical(name)}`,
    oldestAgeSeconds: (name) => {
      let oldest = Infinity;
      for (const entry of tracked.get(physical(name)) ?? []) {
        if (isLive(entry)) oldest = Math.min(oldest, Number(entry.record.attributes.SentTimestamp));
      }
      return oldest === Infinity ? null : Math.max(0, (Date.now() - oldest) / 1000);
    },
    stop: () => (stopped ??= stop()),
  };
}
