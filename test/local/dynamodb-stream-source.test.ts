// The local DynamoDB Streams event source: every change reaches the handler once acknowledged, in order per item,
// in Lambda's record shape; failures are retried without skipping later records; a restart resumes after the last
// acknowledged record; a child shard waits for its parent. Real DynamoDB Local for the stream itself, and a small
// scripted Streams endpoint for what DynamoDB Local cannot be made to do on demand (closed shards, expiry, trimming).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, DescribeTableCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { startDynamoDbStreamSource, type DynamoDbStreamHandler, type DynamoDbStreamSource } from '../../local/dynamodb-stream-source.js';
import { PRIMER_KEY } from '../../local/tables.js';
import { createTestTables, type TestTables } from '../support/dynamo.js';

const sources: DynamoDbStreamSource[] = [];
const dirs: string[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  await Promise.all(servers.splice(0).map((server) => new Promise((resolveClose) => server.close(resolveClose))));
});

const checkpointFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-stream-'));
  dirs.push(dir);
  return join(dir, 'checkpoints', 'shard-0.json');
};

/** Table creation writes and deletes a primer item (local/tables.ts); the tests look at their own changes only. */
const isPrimer = (record: DynamoDBRecord) => record.dynamodb?.Keys?.pk?.S === PRIMER_KEY;

async function consume(endpoint: string, tableName: string, file: string, handler: DynamoDbStreamHandler, batchSize = 10) {
  const source = await startDynamoDbStreamSource({
    endpoint,
    tableName,
    checkpointFile: file,
    handler: async (event, context) => {
      const records = event.Records.filter((record) => !isPrimer(record));
      return records.length === 0 ? { batchItemFailures: [] } : handler({ Records: records }, context);
    },
    batchSize,
    pollIntervalMs: 50,
  });
  sources.push(source);
  return source;
}

async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
}

/** Waits until the source has read to the end of the stream and handled everything it found. */
async function settle(source: DynamoDbStreamSource): Promise<void> {
  await new Promise((resolveWait) => setTimeout(resolveWait, 150));
  await waitFor(() => source.lag().caughtUp);
}

const keyOf = (record: DynamoDBRecord) => `${record.dynamodb?.Keys?.pk?.S}|${record.dynamodb?.Keys?.sk?.S}`;

async function shardTable(): Promise<TestTables & { table: string }> {
  const tables = await createTestTables(1);
  return { ...tables, table: tables.topology[0]!.table };
}

const putNumbered = (tables: TestTables & { table: string }, name: string) =>
  tables.client.send(
    new PutItemCommand({ TableName: tables.table, Item: { pk: { S: `T#t1#C#${name}` }, sk: { S: 'META' }, v: { N: '1' } } }),
  );

const recordsOf = (batches: DynamoDBRecord[][]) => batches.flat().map((record) => record.dynamodb!.Keys!.pk!.S!.split('#').at(-1));

describe('dynamodb stream source on DynamoDB Local', () => {
  it('delivers every insert, modify and remove in order, with the images and record shape Lambda delivers', async () => {
    const tables = await shardTable();
    const { client, table } = tables;
    const a = { pk: { S: 'T#t1#C#a' }, sk: { S: 'META' } };
    const b = { pk: { S: 'T#t1#C#b' }, sk: { S: 'META' } };
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...a,
          v: { N: '1' },
          title: { S: 'first' },
          blob: { B: new Uint8Array([1, 2, 3]) },
          tags: { SS: ['x', 'y'] },
          nested: { M: { list: { L: [{ N: '1' }, { BOOL: true }, { NULL: true }] } } },
        },
      }),
    );
    await client.send(new PutItemCommand({ TableName: table, Item: { ...b, v: { N: '1' } } }));
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: a,
        UpdateExpression: 'SET v = :v, title = :t',
        ExpressionAttributeValues: { ':v': { N: '2' }, ':t': { S: 'second' } },
      }),
    );
    await client.send(new DeleteItemCommand({ TableName: table, Key: b }));
    await client.send(new PutItemCommand({ TableName: table, Item: { pk: a.pk, sk: { S: 'M#1' }, v: { N: '1' } } }));

    const received: DynamoDBRecord[] = [];
    await consume(tables.endpoint, table, checkpointFile(), async (event) => void received.push(...event.Records));
    await waitFor(() => received.length >= 5);

    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    expect(received.map((record) => [record.eventName, keyOf(record)])).toEqual([
      ['INSERT', 'T#t1#C#a|META'],
      ['INSERT', 'T#t1#C#b|META'],
      ['MODIFY', 'T#t1#C#a|META'],
      ['REMOVE', 'T#t1#C#b|META'],
      ['INSERT', 'T#t1#C#a|M#1'],
    ]);
    const [insert, , modify, remove] = received as [DynamoDBRecord, DynamoDBRecord, DynamoDBRecord, DynamoDBRecord];
    for (const record of received) {
      expect(record).toMatchObject({ eventSource: 'aws:dynamodb', eventVersion: '1.1', eventSourceARN: Table!.LatestStreamArn });
      expect(record.eventID).toMatch(/\S+/);
      expect(record.awsRegion).toMatch(/\S+/);
      expect(record.dynamodb).toMatchObject({ StreamViewType: 'NEW_AND_OLD_IMAGES', SizeBytes: expect.any(Number) });
      // Epoch seconds, as Lambda sends them (DynamoDB Local rounds to the minute).
      expect(Math.abs(record.dynamodb!.ApproximateCreationDateTime! - Date.now() / 1000)).toBeLessThan(120);
    }
    const sequenceNumbers = received.map((record) => BigInt(record.dynamodb!.SequenceNumber!));
    expect([...sequenceNumbers].sort((x, y) => (x < y ? -1 : 1))).toEqual(sequenceNumbers);
    expect(insert.dynamodb!.Keys).toEqual(a);
    expect(insert.dynamodb!.OldImage).toBeUndefined();
    expect(insert.dynamodb!.NewImage).toEqual({
      ...a,
      v: { N: '1' },
      title: { S: 'first' },
      blob: { B: 'AQID' },
      tags: { SS: ['x', 'y'] },
      nested: { M: { list: { L: [{ N: '1' }, { BOOL: true }, { NULL: true }] } } },
    });
    expect(modify.dynamodb!.OldImage).toMatchObject({ v: { N: '1' }, title: { S: 'first' } });
    expect(modify.dynamodb!.NewImage).toMatchObject({ v: { N: '2' }, title: { S: 'second' }, blob: { B: 'AQID' } });
    expect(remove.dynamodb!.NewImage).toBeUndefined();
    expect(remove.dynamodb!.OldImage).toEqual({ ...b, v: { N: '1' } });
  });

  it('resumes after the last acknowledged record on restart: nothing lost, nothing replayed', async () => {
    const tables = await shardTable();
    const file = checkpointFile();
    for (const name of ['r1', 'r2', 'r3', 'r4', 'r5']) await putNumbered(tables, name);
    const first: DynamoDBRecord[][] = [];
    const before = await consume(tables.endpoint, tables.table, file, async (event) => void first.push(event.Records), 2);
    await waitFor(() => first.flat().length >= 5);
    await before.stop();

    for (const name of ['r6', 'r7', 'r8']) await putNumbered(tables, name);
    const second: DynamoDBRecord[][] = [];
    const after = await consume(tables.endpoint, tables.table, file, async (event) => void second.push(event.Records), 2);
    await waitFor(() => second.flat().length >= 3);
    await settle(after);
    expect(recordsOf(first)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(recordsOf(second)).toEqual(['r6', 'r7', 'r8']);
    expect(after.lag()).toMatchObject({ caughtUp: true, behindMs: 0, processedRecords: 3 });
  });

  it('retries from a reported item failure without skipping the records after it', async () => {
    const tables = await shardTable();
    for (const name of ['r1', 'r2', 'r3', 'r4', 'r5']) await putNumbered(tables, name);
    const batches: DynamoDBRecord[][] = [];
    let failedOnce = false;
    const source = await consume(tables.endpoint, tables.table, checkpointFile(), async (event): Promise<DynamoDBBatchResponse> => {
      batches.push(event.Records);
      const r3 = event.Records.find((record) => record.dynamodb?.Keys?.pk?.S === 'T#t1#C#r3');
      if (r3 && !failedOnce) {
        failedOnce = true;
        return { batchItemFailures: [{ itemIdentifier: r3.dynamodb!.SequenceNumber! }] };
      }
      return { batchItemFailures: [] };
    });
    await waitFor(() => batches.length >= 2);
    await settle(source);
    expect(batches.map((batch) => recordsOf([batch]))).toEqual([
      ['r1', 'r2', 'r3', 'r4', 'r5'],
      ['r3', 'r4', 'r5'],
    ]);
    // Five changes, and the insert and remove of the primer item the table was created with.
    expect(source.lag().processedRecords).toBe(5 + 2);
  });

  it('retries a batch whose handler throws, backing off, until it succeeds', async () => {
    const tables = await shardTable();
    for (const name of ['r1', 'r2']) await putNumbered(tables, name);
    const attempts: number[] = [];
    const handled: DynamoDBRecord[][] = [];
    const source = await consume(tables.endpoint, tables.table, checkpointFile(), async (event) => {
      attempts.push(Date.now());
      if (attempts.length <= 3) throw new Error('relay target unavailable');
      handled.push(event.Records);
    });
    await waitFor(() => handled.length >= 1);
    await settle(source);
    expect(recordsOf(handled)).toEqual(['r1', 'r2']);
    const gaps = attempts.slice(1).map((time, index) => time - attempts[index]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(150);
    expect(gaps[2]).toBeGreaterThan(gaps[0]!);
  });

  it('after a stop during retries, the next start redelivers exactly the unacknowledged records', async () => {
    const tables = await shardTable();
    const file = checkpointFile();
    for (const name of ['r1', 'r2', 'r3', 'r4']) await putNumbered(tables, name);
    let r3Attempts = 0;
    const failing = await consume(tables.endpoint, tables.table, file, async (event): Promise<DynamoDBBatchResponse> => {
      const r3 = event.Records.find((record) => record.dynamodb?.Keys?.pk?.S === 'T#t1#C#r3');
      if (r3) r3Attempts++;
      return { batchItemFailures: r3 ? [{ itemIdentifier: r3.dynamodb!.SequenceNumber! }] : [] };
    });
    await waitFor(() => r3Attempts >= 2);
    await failing.stop();

    const redelivered: DynamoDBRecord[][] = [];
    const healthy = await consume(tables.endpoint, tables.table, file, async (event) => void redelivered.push(event.Records));
    await waitFor(() => redelivered.flat().length >= 2);
    await settle(healthy);
    expect(recordsOf(redelivered)).toEqual(['r3', 'r4']);
  });

  it('refuses a table without a stream', async () => {
    const tables = await createTestTables(1);
    await expect(consume(tables.endpoint, tables.controlTable, checkpointFile(), async () => undefined)).rejects.toThrow(/has no stream/);
  });
});

interface ScriptedShard {
  readonly id: string;
  readonly parent?: string;
  closed: boolean;
  sequenceNumbers: string[];
  /** Records before this index have been trimmed away. */
  trimHorizon: number;
  /** The next GetRecords past the first record answers ExpiredIteratorException. */
  expireNextIterator?: boolean;
}

/** A DynamoDB + DynamoDB Streams endpoint serving a scripted stream, speaking the JSON protocol the SDK uses. */
async function scriptedStream(shards: ScriptedShard[]) {
  const streamArn = 'arn:aws:dynamodb:us-east-1:000000000000:table/scripted/stream/2026-01-01T00:00:00.000';
  const shardOf = (id: string) => shards.find((shard) => shard.id === id)!;
  const iteratorReads: string[] = [];
  const operations: Record<string, (input: any) => unknown> = {
    'DynamoDB_20120810.DescribeTable': () => ({
      Table: {
        TableName: 'scripted',
        LatestStreamArn: streamArn,
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      },
    }),
    'DynamoDBStreams_20120810.DescribeStream': () => ({
      StreamDescription: {
        StreamArn: streamArn,
        StreamStatus: 'ENABLED',
        Shards: shards.map((shard) => ({
          ShardId: shard.id,
          ...(shard.parent ? { ParentShardId: shard.parent } : {}),
          SequenceNumberRange: {
            StartingSequenceNumber: shard.sequenceNumbers[0],
            ...(shard.closed ? { EndingSequenceNumber: shard.sequenceNumbers.at(-1) } : {}),
          },
        })),
      },
    }),
    'DynamoDBStreams_20120810.GetShardIterator': (input: { ShardId: string; ShardIteratorType: string; SequenceNumber?: string }) => {
      const shard = shardOf(input.ShardId);
      if (input.ShardIteratorType === 'TRIM_HORIZON') return { ShardIterator: `${shard.id}@${shard.trimHorizon}` };
      const index = shard.sequenceNumbers.indexOf(input.SequenceNumber!);
      if (index < shard.trimHorizon - 1) throw Object.assign(new Error('Trimmed'), { type: 'TrimmedDataAccessException' });
      return { ShardIterator: `${shard.id}@${index + 1}` };
    },
    'DynamoDBStreams_20120810.GetRecords': (input: { ShardIterator: string; Limit: number }) => {
      const [id, at] = input.ShardIterator.split('@') as [string, string];
      const shard = shardOf(id);
      const position = Number(at);
      if (shard.expireNextIterator && position > 0) {
        shard.expireNextIterator = false;
        throw Object.assign(new Error('Iterator expired'), { type: 'ExpiredIteratorException' });
      }
      iteratorReads.push(id);
      const page = shard.sequenceNumbers.slice(position, position + input.Limit);
      const next = position + page.length;
      return {
        Records: page.map((sequenceNumber) => ({
          eventID: `event-${sequenceNumber}`,
          eventName: 'INSERT',
          eventVersion: '1.1',
          eventSource: 'aws:dynamodb',
          awsRegion: 'us-east-1',
          dynamodb: {
            ApproximateCreationDateTime: 1_767_225_600,
            Keys: { pk: { S: `item-${sequenceNumber}` }, sk: { S: 'META' } },
            NewImage: { pk: { S: `item-${sequenceNumber}` }, sk: { S: 'META' } },
            SequenceNumber: sequenceNumber,
            SizeBytes: 20,
            StreamViewType: 'NEW_AND_OLD_IMAGES',
          },
        })),
        ...(shard.closed && next >= shard.sequenceNumbers.length ? {} : { NextShardIterator: `${id}@${next}` }),
      };
    },
  };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      response.setHeader('content-type', 'application/x-amz-json-1.0');
      try {
        response.end(JSON.stringify(operations[String(request.headers['x-amz-target'])]!(JSON.parse(body))));
      } catch (error) {
        response.statusCode = 400;
        response.end(
          JSON.stringify({
            __type: `com.amazonaws.dynamodb.v20120810#${(error as { type?: string }).type}`,
            message: (error as Error).message,
          }),
        );
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', () => resolveListen()));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, iteratorReads };
}

const sequenceNumbersOf = (batches: DynamoDBRecord[][]) => batches.flat().map((record) => record.dynamodb!.SequenceNumber);

describe('dynamodb stream source on a scripted stream', () => {
  it('reads a closed parent shard to its end before its child, across an expired iterator, and never rereads it after a restart', async () => {
    const parent: ScriptedShard = {
      id: 'shard-parent',
      closed: true,
      sequenceNumbers: ['100', '101', '102', '103', '104'],
      trimHorizon: 0,
    };
    const child: ScriptedShard = { id: 'shard-child', parent: parent.id, closed: false, sequenceNumbers: ['200', '201'], trimHorizon: 0 };
    parent.expireNextIterator = true;
    // Listed child first: reading in listing order would deliver the child's changes before older ones.
    const stream = await scriptedStream([child, parent]);
    const file = checkpointFile();
    const first: DynamoDBRecord[][] = [];
    const source = await consume(stream.endpoint, 'scripted', file, async (event) => void first.push(event.Records), 2);
    await waitFor(() => first.flat().length >= 7);
    await settle(source);
    await source.stop();
    expect(sequenceNumbersOf(first)).toEqual(['100', '101', '102', '103', '104', '200', '201']);
    expect(first[0]![0]).toMatchObject({
      eventSourceARN: expect.stringContaining('table/scripted/stream/'),
      dynamodb: { ApproximateCreationDateTime: 1_767_225_600 },
    });

    child.sequenceNumbers.push('202');
    stream.iteratorReads.length = 0;
    const second: DynamoDBRecord[][] = [];
    const restarted = await consume(stream.endpoint, 'scripted', file, async (event) => void second.push(event.Records), 2);
    await waitFor(() => second.length >= 1);
    await settle(restarted);
    expect(sequenceNumbersOf(second)).toEqual(['202']);
    expect(stream.iteratorReads).not.toContain(parent.id);
  });

  it('continues from the oldest record left when its checkpoint has fallen out of the stream retention', async () => {
    const shard: ScriptedShard = { id: 'shard-only', closed: false, sequenceNumbers: ['1', '2'], trimHorizon: 0 };
    const stream = await scriptedStream([shard]);
    const file = checkpointFile();
    const first: DynamoDBRecord[][] = [];
    const source = await consume(stream.endpoint, 'scripted', file, async (event) => void first.push(event.Records));
    await waitFor(() => first.flat().length >= 2);
    await source.stop();

    // While the platform was down, more changes came and the oldest expired, including the checkpointed one.
    shard.sequenceNumbers.push('3', '4', '5');
    shard.trimHorizon = 3;
    const second: DynamoDBRecord[][] = [];
    const restarted = await consume(stream.endpoint, 'scripted', file, async (event) => void second.push(event.Records));
    await waitFor(() => second.flat().length >= 2);
    await settle(restarted);
    expect(sequenceNumbersOf(second)).toEqual(['4', '5']);
  });
});
