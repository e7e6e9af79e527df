// The in-process SQS emulator: the job queues of lambdas/queues.ts with their redrive policies, and no undeleted
// message (waiting, in flight or dead-lettered) lost across a stop and a start.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { DLQ_RETENTION_DAYS, JOB_QUEUES, VISIBILITY_TIMEOUT_SECONDS } from '../../lambdas/queues.js';
import { SQS_SNAPSHOT_FILE, startSqsEmulator, type SqsEmulator } from '../../local/sqs-emulator.js';

const running: SqsEmulator[] = [];
const clients: SQSClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(running.splice(0).map((emulator) => emulator.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir?: string) {
  const emulator = await startSqsEmulator(dataDir === undefined ? {} : { dataDir });
  running.push(emulator);
  const client = new SQSClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  clients.push(client);
  return { emulator, client };
}

const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-sqs-'));
  dirs.push(dir);
  return dir;
};

async function receive(client: SQSClient, queueUrl: string, visibilityTimeout = 30): Promise<Message[]> {
  const response = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: visibilityTimeout,
      AttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return response.Messages ?? [];
}

const send = (client: SQSClient, queueUrl: string, body: string, group = 'tenant-a') =>
  client.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      MessageGroupId: group,
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'index' }, v: { DataType: 'Number', StringValue: '7' } },
    }),
  );

describe('sqs emulator', () => {
  it('creates every job queue with its visibility timeout and a redrive policy to its own dead-letter queue', async () => {
    const { emulator, client } = await start();
    for (const queue of JOB_QUEUES) {
      const { Attributes: main = {} } = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: emulator.queueUrl(queue.name), AttributeNames: ['All'] }),
      );
      expect(main.QueueArn).toBe(emulator.queueArn(queue.name));
      expect(main.VisibilityTimeout).toBe(String(VISIBILITY_TIMEOUT_SECONDS));
      expect(JSON.parse(main.RedrivePolicy ?? '{}')).toEqual({
        deadLetterTargetArn: emulator.queueArn(queue.deadLetterQueue),
        maxReceiveCount: queue.maxReceiveCount,
      });
      const { Attributes: dlq = {} } = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: emulator.queueUrl(queue.deadLetterQueue), AttributeNames: ['All'] }),
      );
      expect(dlq.MessageRetentionPeriod).toBe(String(DLQ_RETENTION_DAYS * 24 * 3600));
    }
    expect(() => emulator.queueUrl('nope')).toThrow(/no local queue is named nope/);
  });

  it('moves a message received maxReceiveCount times without a delete to its dead-letter queue, group and attributes intact', async () => {
    const { emulator, client } = await start();
    const { name, deadLetterQueue, maxReceiveCount } = JOB_QUEUES[0]!;
    await send(client, emulator.queueUrl(name), 'poison');
    const receiveCounts: number[] = [];
    let deadLettered: Message[] = [];
    for (let attempt = 0; attempt < 50 && deadLettered.length === 0; attempt++) {
      // A zero visibility timeout hands the message straight back, so the receives pile up quickly.
      for (const message of await receive(client, emulator.queueUrl(name), 0)) {
        receiveCounts.push(Number(message.Attributes?.ApproximateReceiveCount));
      }
      deadLettered = await receive(client, emulator.queueUrl(deadLetterQueue));
    }
    expect(Math.max(...receiveCounts)).toBe(maxReceiveCount);
    expect(deadLettered).toHaveLength(1);
    expect(deadLettered[0]).toMatchObject({
      Body: 'poison',
      Attributes: { MessageGroupId: 'tenant-a', DeadLetterQueueSourceArn: emulator.queueArn(name) },
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'index' }, v: { DataType: 'Number', StringValue: '7' } },
    });
    expect(await receive(client, emulator.queueUrl(name))).toEqual([]);
  });

  it('keeps every undeleted message, waiting or in flight, with its id, group, attributes and receive count across stop and start', async () => {
    const dir = dataDir();
    const first = await start(dir);
    const jobs = first.emulator.queueUrl('jobs');
    const sent = [];
    for (const body of ['one', 'two', 'three']) sent.push(await send(first.client, jobs, body, `group-${body}`));
    await send(first.client, first.emulator.queueUrl('jobs-overflow'), 'overflowing', 'noisy');
    const received = await receive(first.client, jobs);
    expect(received.map((message) => message.Body).sort()).toEqual(['one', 'three', 'two']);
    // 'two' is acknowledged; 'one' and 'three' stay in flight when the emulator stops.
    const two = received.find((message) => message.Body === 'two')!;
    await first.client.send(new DeleteMessageCommand({ QueueUrl: jobs, ReceiptHandle: two.ReceiptHandle }));
    await first.emulator.stop();
    expect(existsSync(join(dir, SQS_SNAPSHOT_FILE))).toBe(true);

    const second = await start(dir);
    expect(existsSync(join(dir, SQS_SNAPSHOT_FILE))).toBe(false);
    const restored = await receive(second.client, second.emulator.queueUrl('jobs'));
    expect(restored.map((message) => message.Body).sort()).toEqual(['one', 'three']);
    for (const message of restored) {
      expect(message.MessageId).toBe(sent[['one', 'two', 'three'].indexOf(message.Body!)]!.MessageId);
      expect(message.Attributes).toMatchObject({ MessageGroupId: `group-${message.Body}`, ApproximateReceiveCount: '2' });
      expect(message.MessageAttributes).toEqual({
        kind: { DataType: 'String', StringValue: 'index' },
        v: { DataType: 'Number', StringValue: '7' },
      });
    }
    const overflow = await receive(second.client, second.emulator.queueUrl('jobs-overflow'));
    expect(overflow.map((message) => [message.Body, message.Attributes?.MessageGroupId])).toEqual([['overflowing', 'noisy']]);
  });

  it('keeps dead-lettered messages across a restart and can still redrive them to the queue they came from', async () => {
    const dir = dataDir();
    const first = await start(dir);
    const { name, deadLetterQueue } = JOB_QUEUES[0]!;
    await send(first.client, first.emulator.queueUrl(name), 'poison');
    for (let attempt = 0; attempt < 50; attempt++) {
      await receive(first.client, first.emulator.queueUrl(name), 0);
      const { Attributes = {} } = await first.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: first.emulator.queueUrl(deadLetterQueue),
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      if (Attributes.ApproximateNumberOfMessages === '1') break;
    }
    await first.emulator.stop();

    const second = await start(dir);
    await second.client.send(new StartMessageMoveTaskCommand({ SourceArn: second.emulator.queueArn(deadLetterQueue) }));
    let redriven: Message[] = [];
    for (let attempt = 0; attempt < 40 && redriven.length === 0; attempt++) {
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
      redriven = await receive(second.client, second.emulator.queueUrl(name));
    }
    expect(redriven.map((message) => [message.Body, message.Attributes?.MessageGroupId])).toEqual([['poison', 'tenant-a']]);
    const tasks = await second.client.send(new ListMessageMoveTasksCommand({ SourceArn: second.emulator.queueArn(deadLetterQueue) }));
    expect(tasks.Results?.[0]?.Status).toBe('COMPLETED');
  });

  it('writes no snapshot when every message was deleted', async () => {
    const dir = dataDir();
    const { emulator, client } = await start(dir);
    await send(client, emulator.queueUrl('jobs'), 'done');
    const [message] = await receive(client, emulator.queueUrl('jobs'));
    await client.send(new DeleteMessageCommand({ QueueUrl: emulator.queueUrl('jobs'), ReceiptHandle: message!.ReceiptHandle }));
    await emulator.stop();
    expect(existsSync(join(dir, SQS_SNAPSHOT_FILE))).toBe(false);
  });
});
