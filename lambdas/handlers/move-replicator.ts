// DynamoDB Streams consumer (the second reader of every shard stream): applies the changes of moving tenants to
// the other shard of their move, and records the barrier beacons it has read past.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { ChangeRecord } from '../core/change-capture.js';
import { logger, metrics } from '../observability.js';
import { platform } from '../platform.js';

const image = (value: Record<string, unknown> | undefined) => (value ? unmarshall(value as Record<string, AttributeValue>) : undefined);

const toChange = (record: DynamoDBRecord): ChangeRecord => ({
  eventName: record.eventName as ChangeRecord['eventName'],
  sequenceNumber: record.dynamodb?.SequenceNumber ?? '',
  approximateCreationTime: new Date((record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000).toISOString(),
  newImage: image(record.dynamodb?.NewImage),
  oldImage: image(record.dynamodb?.OldImage),
});

/** `arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>` → `<table>`. */
const tableOf = (arn: string | undefined) => arn?.split(':table/')[1]?.split('/stream/')[0];

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const moves = await platform().moves();
  const table = tableOf(event.Records[0]?.eventSourceARN);
  const shard = table === undefined ? undefined : moves.shardOfTable(table);
  if (!shard) throw new Error(`stream of an unknown table ${table ?? '(none)'}: is HEADROOM_SHARDS current?`);
  const result = await moves.replicate(shard, event.Records.map(toChange));
  if (result.applied + result.stale > 0) {
    logger.debug('move replication batch', { shard, applied: result.applied, stale: result.stale, beacons: result.beacons });
    metrics.singleMetric().addMetric('MoveChangesApplied', MetricUnit.Count, result.applied);
  }
  return { batchItemFailures: result.failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
};
