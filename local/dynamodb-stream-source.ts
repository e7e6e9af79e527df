// Emulates a Lambda DynamoDB Streams event source mapping (ReportBatchItemFailures, retries until success) on
// DynamoDB Local. A record counts as done only once the handler acknowledged it and its sequence number is in the
// checkpoint file; a restart resumes right after it, so no acknowledged record is replayed and no later one is lost.
// A child shard is read only after its parent is finished, so every item's changes arrive in order.
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ShardIteratorType,
  type _Record,
  type AttributeValue as StreamsAttributeValue,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { readCheckpointFile, writeCheckpointFile } from './checkpoint-file.js';
import { lambdaContext } from './lambda-context.js';
import { interruptiblePause } from './interruptible-pause.js';

export type DynamoDbStreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | void>;

export interface DynamoDbStreamSourceOptions {
  readonly endpoint: string;
  readonly tableName: string;
  /** JSON file holding the last acknowledged sequence number of every shard. */
  readonly checkpointFile: string;
  readonly handler: DynamoDbStreamHandler;
  /**
   * Records per invocation at most (GetRecords limit, 1-1000).
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * Pause after a round in which no shard had new records.
   * @default 250
   */
  readonly pollIntervalMs?: number;
  /**
   * Name in the Lambda context handed to the handler.
   * @default the table name followed by `-stream-consumer`
   */
  readonly functionName?: string;
}

export interface StreamSourceLag {
  /** Every shard's latest read found nothing new and nothing waits for a retry. */
  readonly caughtUp: boolean;
  /** Time since the source was last caught up (0 while it is): an upper bound on the oldest unhandled change's wait. */
  readonly behindMs: number;
  /** Records the handler acknowledged since this source started. */
  readonly processedRecords: number;
}

export interface DynamoDbStreamSource {
  readonly streamArn: string;
  /** Stops polling and resolves once the batch in flight has been handled and checkpointed. */
  stop(): Promise<void>;
  lag(): StreamSourceLag;
}

interface ShardProgress {
  /** Last sequence number the handler acknowledged. */
  sequenceNumber?: string;
  /** Closed and read to the end: its children may be read. */
  finished?: boolean;
}

interface StreamCheckpoint {
  readonly version: 1;
  /** Sequence numbers belong to one stream; a recreated table starts a new one. */
  readonly streamArn: string;
  readonly shards: Record<string, ShardProgress>;
}

interface ShardReader {
  iterator?: string;
  /** The checkpoint fell out of the stream's retention: read from the oldest record still there. */
  fromTrimHorizon: boolean;
  caughtUp: boolean;
  retryDelayMs: number;
  retryAt: number;
}

const FIRST_RETRY_DELAY_MS = 200;
const MAX_RETRY_DELAY_MS = 10_000;
// DescribeStream is re-read this often to discover new shards (DynamoDB rolls shards over every few hours).
const SHARD_REFRESH_MS = 5000;
// Lambda's own default; nothing enforces it locally, it only informs handlers that budget their work.
const INVOCATION_TIMEOUT_MS = 60_000;

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

const isNamed = (error: unknown, ...names: string[]) => error instanceof Error && names.includes(error.name);

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Lambda delivers binary values base64-encoded in JSON; the SDK hands them over as bytes. */
function toLambdaAttributeValue(value: StreamsAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttributeValue) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  return value as unknown as AttributeValue;
}

const toLambdaImage = (image: Record<string, StreamsAttributeValue>): Record<string, AttributeValue> =>
  Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toLambdaAttributeValue(value)]));

function toDynamoDbRecord(record: _Record, streamArn: string): DynamoDBRecord {
  const change = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion,
    dynamodb: {
      // Lambda sends epoch seconds where the SDK parses a Date.
      ...(change.ApproximateCreationDateTime ? { ApproximateCreationDateTime: change.ApproximateCreationDateTime.getTime() / 1000 } : {}),
      ...(change.Keys ? { Keys: toLambdaImage(change.Keys) } : {}),
      ...(change.NewImage ? { NewImage: toLambdaImage(change.NewImage) } : {}),
      ...(change.OldImage ? { OldImage: toLambdaImage(change.OldImage) } : {}),
      SequenceNumber: change.SequenceNumber,
      SizeBytes: change.SizeBytes,
      StreamViewType: change.StreamViewType,
    },
    eventSourceARN: streamArn,
    ...(record.userIdentity ? { userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId } } : {}),
  };
}

/**
 * How many leading records the handler acknowledged: those before the first reported failure, or none when the
 * response names a record that is not in the batch (Lambda treats that as a failed batch).
 */
function acknowledgedCount(records: readonly DynamoDBRecord[], response: DynamoDBBatchResponse | void): number {
  const failures = response?.batchItemFailures ?? [];
  if (failures.length === 0) return records.length;
  const sequenceNumbers = records.map((record) => record.dynamodb?.SequenceNumber);
  const failed = new Set<string>();
  for (const failure of failures) {
    if (typeof failure?.itemIdentifier !== 'string' || !sequenceNumbers.includes(failure.itemIdentifier)) return 0;
    failed.add(failure.itemIdentifier);
  }
  return sequenceNumbers.findIndex((sequenceNumber) => failed.has(sequenceNumber!));
}

function readCheckpoint(path: string, streamArn: string): StreamCheckpoint {
  const stored = readCheckpointFile(path) as StreamCheckpoint | undefined;
  if (stored?.version === 1 && stored.streamArn === streamArn && typeof stored.shards === 'object') return stored;
  if (stored !== undefined) {
    console.warn(
      `[stream ${streamArn}] ${path} belongs to another stream (was the table recreated?): reading this one from its oldest record.`,
    );
  }
  return { version: 1, streamArn, shards: {} };
}

export async function startDynamoDbStreamSource(options: DynamoDbStreamSourceOptions): Promise<DynamoDbStreamSource> {
  const batchSize = options.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000)
    throw new Error(`batchSize must be a whole number from 1 to 1000 (got ${batchSize})`);
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const functionName = options.functionName ?? `${options.tableName}-stream-consumer`;
  const clientConfig = { endpoint: options.endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: localCredentials };

  const dynamo = new DynamoDBClient(clientConfig);
  const table = await dynamo.send(new DescribeTableCommand({ TableName: options.tableName })).finally(() => dynamo.destroy());
  const latestStreamArn = table.Table?.StreamSpecification?.StreamEnabled ? table.Table.LatestStreamArn : undefined;
  if (!latestStreamArn) {
    throw new Error(
      `table ${options.tableName} has no stream: enable one (lambdas/schema.ts \`stream: true\`) before reading its changes.`,
    );
  }
  const streamArn: string = latestStreamArn;

  const streams = new DynamoDBStreamsClient(clientConfig);
  const checkpoint = readCheckpoint(options.checkpointFile, streamArn);
  const save = () => writeCheckpointFile(options.checkpointFile, checkpoint);
  const log = (message: string, error?: unknown) =>
    console.error(`[stream ${options.tableName}] ${message}`, ...(error === undefined ? [] : [error]));
  const readers = new Map<string, ShardReader>();
  let shards: Shard[] = [];
  let processedRecords = 0;
  let lastCaughtUpAt = Date.now();
  let stopping = false;
  const { pause, interrupt } = interruptiblePause();

  const progressOf = (shardId: string) => (checkpoint.shards[shardId] ??= {});
  const readerOf = (shardId: string) => {
    let reader = readers.get(shardId);
    if (!reader) readers.set(shardId, (reader = { fromTrimHorizon: false, caughtUp: false, retryDelayMs: 0, retryAt: 0 }));
    return reader;
  };

  async function listShards(): Promise<Shard[]> {
    const listed: Shard[] = [];
    let start: string | undefined;
    do {
      const page = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }));
      listed.push(...(page.StreamDescription?.Shards ?? []));
      start = page.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return listed;
  }

  /** Shards not yet finished whose parent is finished or already trimmed away. */
  function readableShards(): string[] {
    const listed = new Set(shards.map((shard) => shard.ShardId!));
    return shards
      .filter((shard) => !checkpoint.shards[shard.ShardId!]?.finished)
      .filter((shard) => !shard.ParentShardId || !listed.has(shard.ParentShardId) || checkpoint.shards[shard.ParentShardId]?.finished)
      .map((shard) => shard.ShardId!);
  }

  function finish(shardId: string): void {
    progressOf(shardId).finished = true;
    readers.delete(shardId);
    save();
  }

  async function shardIterator(shardId: string, reader: ShardReader): Promise<string | undefined> {
    const after = reader.fromTrimHorizon ? undefined : checkpoint.shards[shardId]?.sequenceNumber;
    try {
      const response = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ...(after
            ? { ShardIteratorType: ShardIteratorType.AFTER_SEQUENCE_NUMBER, SequenceNumber: after }
            : { ShardIteratorType: ShardIteratorType.TRIM_HORIZON }),
        }),
      );
      return response.ShardIterator;
    } catch (error) {
      if (isNamed(error, 'TrimmedDataAccessException')) {
        log(
          `shard ${shardId}: the records after the checkpoint ${after} are past the stream's retention and were never handled; continuing from the oldest record left`,
        );
        reader.fromTrimHorizon = true;
        return shardIterator(shardId, reader);
      }
      throw error;
    }
  }

  /** Reads and handles one batch of a shard; true when records were handed to the handler. */
  async function readShard(shardId: string): Promise<boolean> {
    const reader = readerOf(shardId);
    if (Date.now() < reader.retryAt) return false;
    let page;
    try {
      reader.iterator ??= await shardIterator(shardId, reader);
      if (!reader.iterator) {
        finish(shardId);
        return false;
      }
      page = await streams.send(new GetRecordsCommand({ ShardIterator: reader.iterator, Limit: batchSize }));
    } catch (error) {
      reader.iterator = undefined;
      reader.caughtUp = false;
      // The shard was trimmed away after its last record expired: there is nothing left to read in it.
      if (isNamed(error, 'ResourceNotFoundException')) finish(shardId);
      // An iterator lives 15 minutes; a fresh one from the checkpoint resumes at the same place.
      else if (!isNamed(error, 'ExpiredIteratorException')) {
        log(`shard ${shardId}: reading failed (${(error as Error).name}: ${(error as Error).message}); retrying with a fresh iterator`);
      }
      return false;
    }

    const records = (page.Records ?? []).map((record) => toDynamoDbRecord(record, streamArn));
    if (records.length === 0) {
      reader.caughtUp = true;
      reader.iterator = page.NextShardIterator;
      if (!page.NextShardIterator) finish(shardId);
      return false;
    }

    reader.caughtUp = false;
    let acknowledged = 0;
    try {
      acknowledged = acknowledgedCount(
        records,
        await options.handler({ Records: records }, lambdaContext(functionName, Date.now() + INVOCATION_TIMEOUT_MS)),
      );
    } catch (error) {
      log(`shard ${shardId}: invocation failed, retrying the batch`, error);
    }
    processedRecords += acknowledged;
    if (acknowledged > 0) {
      progressOf(shardId).sequenceNumber = records[acknowledged - 1]!.dynamodb!.SequenceNumber;
      reader.fromTrimHorizon = false;
      save();
    }
    if (acknowledged === records.length) {
      reader.retryDelayMs = 0;
      reader.iterator = page.NextShardIterator;
      if (!page.NextShardIterator) finish(shardId);
    } else {
      // Resume from the checkpoint, i.e. at the first record not acknowledged; back off only when nothing moved.
      reader.iterator = undefined;
      reader.retryDelayMs = acknowledged > 0 ? 0 : Math.min(Math.max(2 * reader.retryDelayMs, FIRST_RETRY_DELAY_MS), MAX_RETRY_DELAY_MS);
      reader.retryAt = Date.now() + reader.retryDelayMs;
    }
    return true;
  }

  let listed = false;
  const isCaughtUp = () =>
    listed && shards.every((shard) => checkpoint.shards[shard.ShardId!]?.finished || readers.get(shard.ShardId!)?.caughtUp === true);

  async function refreshShards(): Promise<void> {
    shards = await listShards();
    listed = true;
    const present = new Set(shards.map((shard) => shard.ShardId!));
    const trimmed = Object.keys(checkpoint.shards).filter((shardId) => !present.has(shardId));
    for (const shardId of trimmed) delete checkpoint.shards[shardId];
    if (trimmed.length > 0) save();
  }

  async function run(): Promise<void> {
    let refreshAt = 0;
    while (!stopping) {
      let handled = false;
      try {
        if (Date.now() >= refreshAt) {
          await refreshShards();
          refreshAt = Date.now() + SHARD_REFRESH_MS;
        }
        for (const shardId of readableShards()) {
          if (stopping) break;
          handled = (await readShard(shardId)) || handled;
        }
      } catch (error) {
        log('polling the stream failed, retrying', error);
      }
      if (isCaughtUp()) lastCaughtUpAt = Date.now();
      if (!handled && !stopping) await pause(pollIntervalMs);
    }
  }

  const running = run();
  let stopped: Promise<void> | undefined;
  return {
    streamArn,
    stop: () =>
      (stopped ??= (async () => {
        stopping = true;
        interrupt();
        await running;
        streams.destroy();
      })()),
    lag: () => {
      const caughtUp = isCaughtUp();
      return { caughtUp, behindMs: caughtUp ? 0 : Date.now() - lastCaughtUpAt, processedRecords };
    },
  };
}
