// DynamoDB Streams consumer (the second reader of every shard stream): applies the changes of moving tenants to
// the other shard of their move, and records the barrier beacons it has read past.
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { changeRecordOf } from '../adapters/aws/dynamodb-stream-records.js';
import { emit, logger } from '../observability.js';
import { movesOf } from '../composition/moves.js';
import { platform } from '../composition/platform.js';

/** `arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>` → `<table>`. */
const tableOf = (arn: string | undefined) => arn?.split(':table/')[1]?.split('/stream/')[0];

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const moves = await movesOf(platform());
  const table = tableOf(event.Records[0]?.eventSourceARN);
  const shard = table === undefined ? undefined : moves.shardOfTable(table);
  if (!shard) throw new Error(`stream of an unknown table ${table ?? '(none)'}: is HEADROOM_SHARDS current?`);
  const result = await moves.replicate(shard, event.Records.map(changeRecordOf));
  if (result.applied + result.stale > 0) {
    logger.debug('move replication batch', { shard, applied: result.applied, stale: result.stale, beacons: result.beacons });
    emit.moveChangesApplied(result.applied);
  }
  return { batchItemFailures: result.failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
};
