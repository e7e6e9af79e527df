// The local SQS event source on the in-process emulator behaves like a Lambda event source mapping with
// ReportBatchItemFailures: only failed records come back, and only after their visibility timeout; a poison
// message ends in the DLQ without holding its neighbours back; concurrency is bounded; stop loses nothing.
import { createHash } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { JOB_QUEUES } from '../../lambdas/queues.js';
import { startSqsEmulator, type SqsEmulator } from '../../local/sqs-emulator.js';
import {
  startSqsEventSource,
  type SqsBatchHandler,
  type SqsEventSource,
  type SqsEventSourceOptions,
} from '../../local/sqs-event-source.js';

const VISIBILITY_TIMEOUT_SECONDS = 1;
const jobs = JOB_QUEUES.find((queue) => queue.name === 'jobs')!;

let emulator: SqsEmulator;
let client: SQSClient;
const sources: SqsEventSource[] = [];

afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
  client?.destroy();
  await emulator?.stop();
});

async function startEmulator() {
  emulator = await startSqsEmulator();
  client = new SQSClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

function consume(handler: SqsBatchHandler, overrides: Partial<SqsEventSourceOptions> = {}): SqsEventSource {
  const source = startSqsEventSource({
    client,
    queueUrl: emulator.queueUrl(jobs.name),
    queueArn: emulator.queueArn(jobs.name),
    deadLetterQueueUrl: emulator.queueUrl(jobs.deadLetterQueue),
    handler,
    batchSize: jobs.batchSize,
    maxConcurrency: jobs.maxConcurrency,
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    maxReceiveCount: jobs.maxReceiveCount,
    pollIntervalMs: 50,
    ...overrides,
  });
  sources.push(source);
  return source;
}

async function sendAll(queueUrl: string, bodies: readonly string[], group = 'tenant-a') {
  for (let start = 0; start < bodies.length; start += 10) {
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(start, start + 10).map((body, index) => ({
          Id: String(index),
          MessageBody: body,
          MessageGroupId: group,
          MessageAttributes: {
            v: { DataType: 'Number', StringValue: '3' },
            raw: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
          },
        })),
      }),
    );
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolveWait) => setTimeout(resolveWait, 25));
  }
}

async function queueDepth(queueUrl: string): Promise<number> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  // local-aws-sqs already counts in-flight messages in ApproximateNumberOfMessages.
  return Number(Attributes.ApproximateNumberOfMessages);
}

async function drain(queueUrl: string): Promise<Message[]> {
  const response = await client.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, AttributeNames: ['All'], MessageAttributeNames: ['All'] }),
  );
  return response.Messages ?? [];
}

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((resolvePromise) => (resolve = resolvePromise));
  return { promise, resolve };
};

describe('sqs event source', () => {
  it('hands the handler Lambda SQS records', async () => {
    await startEmulator();
    await sendAll(emulator.queueUrl(jobs.name), ['{"job":1}']);
    const events: SQSEvent[] = [];
    consume(async (event) => void events.push(event));
    await waitFor(() => events.length === 1);
    const [record] = events[0]!.Records as [SQSRecord];
    expect(record).toMatchObject({
      body: '{"job":1}',
      eventSource: 'aws:sqs',
      eventSourceARN: emulator.queueArn(jobs.name),
      awsRegion: emulator.region,
      md5OfBody: createHash('md5').update('{"job":1}').digest('hex'),
      attributes: { ApproximateReceiveCount: '1', MessageGroupId: 'tenant-a', SentTimestamp: expect.stringMatching(/^\d+$/) },
      messageAttributes: {
        v: { stringValue: '3', stringListValues: [], binaryListValues: [], dataType: 'Number' },
        raw: { binaryValue: Buffer.from([1, 2, 3]).toString('base64'), stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
    });
    expect(record.messageId).toMatch(/\S+/);
    expect(record.receiptHandle).toMatch(/\S+/);
  });

  it('redelivers only the records reported as failed, and only after the visibility timeout', async () => {
    await startEmulator();
    const bodies = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'];
    await sendAll(emulator.queueUrl(jobs.name), bodies);
    const deliveries = new Map<string, number[]>();
    consume(async (event): Promise<SQSBatchResponse> => {
      const failures = [];
      for (const record of event.Records) {
        const times = deliveries.get(record.body) ?? [];
        times.push(Date.now());
        deliveries.set(record.body, times);
        if ((record.body === 'm1' || record.body === 'm4') && times.length === 1) failures.push({ itemIdentifier: record.messageId });
      }
      return { batchItemFailures: failures };
    });
    await waitFor(() => (deliveries.get('m1')?.length ?? 0) >= 2 && (deliveries.get('m4')?.length ?? 0) >= 2);
    await waitFor(async () => (await queueDepth(emulator.queueUrl(jobs.name))) === 0);
    expect(Object.fromEntries([...deliveries].map(([body, times]) => [body, times.length]))).toEqual({
      m0: 1,
      m1: 2,
      m2: 1,
      m3: 1,
      m4: 2,
      m5: 1,
    });
    for (const body of ['m1', 'm4']) {
      const [first, second] = deliveries.get(body)!;
      // Measured from handler call to handler call, which trails the receive that started the timeout by a little.
      expect(second! - first!).toBeGreaterThanOrEqual(VISIBILITY_TIMEOUT_SECONDS * 1000 - 200);
    }
  });

  it('gives back the whole batch when the handler throws, or names a record that is not in the batch', async () => {
    await startEmulator();
    await sendAll(emulator.queueUrl(jobs.name), ['a', 'b', 'c']);
    const deliveries: string[][] = [];
    consume(async (event): Promise<SQSBatchResponse | void> => {
      deliveries.push(event.Records.map((record) => record.body).sort());
      if (deliveries.length === 1) throw new Error('downstream unavailable');
      if (deliveries.length === 2) return { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] };
    });
    await waitFor(async () => deliveries.length >= 3 && (await queueDepth(emulator.queueUrl(jobs.name))) === 0);
    expect(deliveries.flat().sort()).toEqual(['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c']);
  });

  it('sends a poison message to the dead-letter queue after maxReceiveCount receives while the rest of its batch succeeds', async () => {
    await startEmulator();
    await sendAll(emulator.queueUrl(jobs.name), ['ok-1', 'poison', 'ok-2'], 'tenant-p');
    const seen = new Map<string, number>();
    consume(async (event): Promise<SQSBatchResponse> => {
      for (const record of event.Records) seen.set(record.body, (seen.get(record.body) ?? 0) + 1);
      return {
        batchItemFailures: event.Records.filter((record) => record.body === 'poison').map((record) => ({
          itemIdentifier: record.messageId,
        })),
      };
    });
    let deadLettered: Message[] = [];
    await waitFor(async () => (deadLettered = await drain(emulator.queueUrl(jobs.deadLetterQueue))).length > 0, 20_000);
    expect(deadLettered.map((message) => [message.Body, message.Attributes?.MessageGroupId])).toEqual([['poison', 'tenant-p']]);
    expect(Object.fromEntries(seen)).toEqual({ 'ok-1': 1, poison: jobs.maxReceiveCount, 'ok-2': 1 });
    expect(await queueDepth(emulator.queueUrl(jobs.name))).toBe(0);
  });

  it('moves a message past maxReceiveCount to the dead-letter queue itself when the queue has no redrive policy', async () => {
    await startEmulator();
    const { QueueUrl: plain } = await client.send(new CreateQueueCommand({ QueueName: 'plain' }));
    const { QueueUrl: plainDlq } = await client.send(new CreateQueueCommand({ QueueName: 'plain-dlq' }));
    await sendAll(plain!, ['poison'], 'tenant-p');
    let invocations = 0;
    const source = consume(
      async () => {
        invocations++;
        throw new Error('cannot process');
      },
      {
        queueUrl: plain!,
        queueArn: `arn:aws:sqs:${emulator.region}:000000000000:plain`,
        deadLetterQueueUrl: plainDlq!,
        maxReceiveCount: 2,
      },
    );
    let deadLettered: Message[] = [];
    await waitFor(async () => (deadLettered = await drain(plainDlq!)).length > 0);
    expect(deadLettered.map((message) => [message.Body, message.Attributes?.MessageGroupId])).toEqual([['poison', 'tenant-p']]);
    expect(invocations).toBe(2);
    expect(source.stats().deadLetteredMessages).toBe(1);
    expect(await queueDepth(plain!)).toBe(0);
  });

  it('never runs more than maxConcurrency invocations at once', async () => {
    await startEmulator();
    const bodies = Array.from({ length: 30 }, (_, index) => `job-${index}`);
    await sendAll(emulator.queueUrl(jobs.name), bodies);
    let running = 0;
    let peak = 0;
    const handled: string[] = [];
    consume(
      async (event) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolveWork) => setTimeout(resolveWork, 60));
        handled.push(...event.Records.map((record) => record.body));
        running--;
      },
      { batchSize: 2, maxConcurrency: 3 },
    );
    await waitFor(() => handled.length >= bodies.length);
    expect(peak).toBe(3);
    expect(handled.sort()).toEqual([...bodies].sort());
  });

  it('stop waits for in-flight invocations, deletes only what they acknowledged and takes no new work', async () => {
    await startEmulator();
    await sendAll(emulator.queueUrl(jobs.name), ['keep', 'done']);
    const entered = deferred();
    const release = deferred();
    const invocations: string[][] = [];
    const source = consume(async (event): Promise<SQSBatchResponse> => {
      invocations.push(event.Records.map((record) => record.body));
      entered.resolve();
      await release.promise;
      return {
        batchItemFailures: event.Records.filter((record) => record.body === 'keep').map((record) => ({ itemIdentifier: record.messageId })),
      };
    });
    await entered.promise;
    await waitFor(() => invocations.flat().length === 2);
    let stopped = false;
    const stopping = source.stop().then(() => (stopped = true));
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    expect(stopped).toBe(false);
    release.resolve();
    await stopping;
    await sendAll(emulator.queueUrl(jobs.name), ['after-stop']);
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    expect(invocations.flat().sort()).toEqual(['done', 'keep']);

    // The failed message comes back to the next consumer once its visibility timeout is over; 'done' does not.
    const next: string[] = [];
    consume(async (event) => void next.push(...event.Records.map((record) => record.body)));
    await waitFor(async () => next.length >= 2 && (await queueDepth(emulator.queueUrl(jobs.name))) === 0);
    expect(next.sort()).toEqual(['after-stop', 'keep']);
  });
});
