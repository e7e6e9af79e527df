// The in-process SQS emulator: the job queues of lambdas/queues.ts with their redrive policies, and no undeleted
// message (waiting, in flight or dead-lettered) lost across a stop and a start or a `kill -9`, with its receive count.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ChangeMessageVisibilityCommand,
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
import { startSqsEmulator, type SqsEmulator } from '../../local/sqs-emulator.js';
import { SQS_JOURNAL_FILE } from '../../local/sqs-journal.js';

const running: SqsEmulator[] = [];
const killables: (() => Promise<void>)[] = [];
const clients: SQSClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(killables.splice(0).map((kill) => kill()));
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(running.splice(0).map((emulator) => emulator.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const clientFor = (endpoint: string) => {
  const client = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  clients.push(client);
  return client;
};

async function start(dataDir?: string) {
  const emulator = await startSqsEmulator(dataDir === undefined ? {} : { dataDir });
  running.push(emulator);
  return { emulator, client: clientFor(emulator.endpoint) };
}

const QUEUE_NAMES = JOB_QUEUES.flatMap((queue) => [queue.name, queue.deadLetterQueue]);
const EMULATOR_MODULE = pathToFileURL(resolve(import.meta.dirname, '../../local/sqs-emulator.ts')).href;

/** The emulator in a process of its own, to be killed with SIGKILL: no stop, no flush, nothing but what is on disk. */
async function startKillable(dataDir: string) {
  const script =
    `const { startSqsEmulator } = await import(${JSON.stringify(EMULATOR_MODULE)});\n` +
    'const emulator = await startSqsEmulator({ dataDir: process.argv[1] });\n' +
    `console.log(JSON.stringify(Object.fromEntries(${JSON.stringify(QUEUE_NAMES)}.map((name) => [name, emulator.queueUrl(name)]))));\n` +
    'setInterval(() => {}, 60_000);';
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const urls = await new Promise<Record<string, string>>((resolveUrls, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('\n')) resolveUrls(JSON.parse(output) as Record<string, string>);
    });
    void exited.then(() => reject(new Error(`the emulator process exited: ${output}`)));
  });
  const kill = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  killables.push(kill);
  return { client: clientFor(new URL(urls.jobs!).origin), queueUrl: (name: string) => urls[name]!, kill };
}

/** Receives the one message of a queue `times` times, the last receive hiding it for `visibilityTimeout` seconds. */
async function receiveTimes(client: SQSClient, queueUrl: string, times: number, visibilityTimeout: number): Promise<number> {
  let count = 0;
  for (let receives = 1; receives <= times; receives++) {
    // A second apart: a zero timeout can hand the same message back more than once in one receive.
    let messages: Message[] = [];
    for (let attempt = 0; attempt < 100 && messages.length === 0; attempt++) {
      messages = await receive(client, queueUrl, receives < times ? 1 : visibilityTimeout);
      if (messages.length === 0) await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
    count = Number(messages[0]?.Attributes?.ApproximateReceiveCount);
  }
  return count;
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

    // In flight at the stop, but nobody holds them after it: visible again at once, their receive counted.
    const second = await start(dir);
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

  it('after a kill -9, holds every message whose send was answered and that was not deleted, in-flight ones visible again', async () => {
    const dir = dataDir();
    const killable = await startKillable(dir);
    const jobs = killable.queueUrl('jobs');
    const sent = new Map<string, string>();
    for (const body of ['waiting', 'in-flight', 'deleted']) sent.set(body, (await send(killable.client, jobs, body)).MessageId!);
    // The receive answers with every message of the queue; only 'waiting' goes back to waiting.
    const received = await receive(killable.client, jobs, 600);
    const handleOf = (body: string) => received.find((message) => message.Body === body)!.ReceiptHandle!;
    await killable.client.send(new DeleteMessageCommand({ QueueUrl: jobs, ReceiptHandle: handleOf('deleted') }));
    await killable.client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: jobs, ReceiptHandle: handleOf('waiting'), VisibilityTimeout: 0 }),
    );
    await killable.kill();

    const { emulator, client } = await start(dir);
    const restored = await receive(client, emulator.queueUrl('jobs'));
    expect(
      restored
        .map((message) => [
          message.Body,
          message.MessageId,
          message.Attributes?.ApproximateReceiveCount,
          message.Attributes?.MessageGroupId,
        ])
        .sort(),
    ).toEqual([
      // local-aws-sqs counts a visibility change as a receive.
      ['in-flight', sent.get('in-flight'), '2', 'tenant-a'],
      ['waiting', sent.get('waiting'), '3', 'tenant-a'],
    ]);
    expect(restored[0]!.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'index' },
      v: { DataType: 'Number', StringValue: '7' },
    });
  });

  it('after a kill -9, still moves a poison message to its dead-letter queue once it has been received five times', async () => {
    const dir = dataDir();
    const killable = await startKillable(dir);
    const [jobs, overflow] = [JOB_QUEUES[0]!, JOB_QUEUES[1]!];
    await send(killable.client, killable.queueUrl(jobs.name), 'four receives');
    await send(killable.client, killable.queueUrl(overflow.name), 'five receives');
    // The fifth receive of 'five receives' is still in flight when the process dies: its timeout would redrive it.
    expect(
      await Promise.all([
        receiveTimes(killable.client, killable.queueUrl(jobs.name), jobs.maxReceiveCount - 1, 1),
        receiveTimes(killable.client, killable.queueUrl(overflow.name), overflow.maxReceiveCount, 600),
      ]),
    ).toEqual([jobs.maxReceiveCount - 1, overflow.maxReceiveCount]);
    await killable.kill();

    const { emulator, client } = await start(dir);
    expect(
      (await receive(client, emulator.queueUrl(overflow.deadLetterQueue))).map((message) => [
        message.Body,
        message.Attributes?.DeadLetterQueueSourceArn,
      ]),
    ).toEqual([['five receives', emulator.queueArn(overflow.name)]]);
    expect(await receive(client, emulator.queueUrl(overflow.name))).toEqual([]);
    // One receive left before the redrive, not five.
    expect(await receiveTimes(client, emulator.queueUrl(jobs.name), 1, 0)).toBe(jobs.maxReceiveCount);
    let deadLettered: Message[] = [];
    for (let attempt = 0; attempt < 50 && deadLettered.length === 0; attempt++)
      deadLettered = await receive(client, emulator.queueUrl(jobs.deadLetterQueue));
    expect(deadLettered.map((message) => message.Body)).toEqual(['four receives']);
  });

  it("compacts the journal at start to the messages still held, and folds in an earlier version's stop snapshot once", async () => {
    const dir = dataDir();
    const first = await start(dir);
    const jobs = first.emulator.queueUrl('jobs');
    for (const body of ['kept', 'done', 'also done']) await send(first.client, jobs, body);
    for (const message of await receive(first.client, jobs)) {
      if (message.Body !== 'kept')
        await first.client.send(new DeleteMessageCommand({ QueueUrl: jobs, ReceiptHandle: message.ReceiptHandle }));
    }
    await first.emulator.stop();
    const snapshot = join(dir, 'sqs-snapshot.json');
    const snapshotted = {
      messageId: '5b9e3c1e-0000-4000-8000-000000000001',
      body: 'snapshotted',
      messageGroupId: 'tenant-b',
      receiveCount: 2,
      sentTimestamp: String(Date.now()),
    };
    writeFileSync(snapshot, JSON.stringify({ version: 1, queues: { 'headroom-jobs-overflow': [snapshotted] } }));

    const second = await start(dir);
    expect(existsSync(snapshot)).toBe(false);
    const lines = readFileSync(join(dir, SQS_JOURNAL_FILE), 'utf8').trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { message: { body: string } }).message.body).sort()).toEqual(['kept', 'snapshotted']);
    const [overflowing] = await receive(second.client, second.emulator.queueUrl('jobs-overflow'));
    expect(overflowing).toMatchObject({
      MessageId: snapshotted.messageId,
      Body: 'snapshotted',
      Attributes: { ApproximateReceiveCount: '3' },
    });
  });

  it('compacts the journal while it runs once what was appended outgrows 64 MiB, losing nothing', async () => {
    const dir = dataDir();
    const first = await start(dir);
    const jobs = first.emulator.queueUrl('jobs');
    await send(first.client, jobs, 'kept');
    expect(await receive(first.client, jobs, 600)).toHaveLength(1);
    const bulk = 'x'.repeat(900_000);
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 8 }, () => send(first.client, jobs, bulk)));
      const received = await receive(first.client, jobs, 600);
      await Promise.all(
        received.map((message) => first.client.send(new DeleteMessageCommand({ QueueUrl: jobs, ReceiptHandle: message.ReceiptHandle }))),
      );
    }
    await send(first.client, jobs, 'after');
    expect(statSync(join(dir, SQS_JOURNAL_FILE)).size).toBeLessThan(16 * 1024 * 1024);
    await first.emulator.stop();

    const second = await start(dir);
    expect((await receive(second.client, second.emulator.queueUrl('jobs'))).map((message) => message.Body).sort()).toEqual([
      'after',
      'kept',
    ]);
  });

  it('ignores a last journal line a kill cut short, and refuses to start on a journal damaged anywhere else', async () => {
    const dir = dataDir();
    const first = await start(dir);
    await send(first.client, first.emulator.queueUrl('jobs'), 'whole');
    await first.emulator.stop();
    const journal = join(dir, SQS_JOURNAL_FILE);
    appendFileSync(journal, '{"op":"send","queue":"headroom-jobs","message":{"messageId":"torn');

    const second = await start(dir);
    expect((await receive(second.client, second.emulator.queueUrl('jobs'))).map((message) => message.Body)).toEqual(['whole']);
    await second.emulator.stop();

    writeFileSync(journal, `not json\n${readFileSync(journal, 'utf8')}`);
    await expect(startSqsEmulator({ dataDir: dir })).rejects.toThrow(
      /sqs-journal\.jsonl line 1 is not an SQS journal entry .*move it away/,
    );
  });
});
