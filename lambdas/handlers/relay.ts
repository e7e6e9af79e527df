// DynamoDB Streams consumer (one event source per shard): committed changes → jobs on the fair queues.
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

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const result = await platform().relay(event.Records.map(toChange));
  for (const { group, tier, jobs } of result.overflowed) {
    logger.info('group over its admission quota; jobs sent to the overflow queue', { group, tier, jobs });
    const metric = metrics.singleMetric();
    metric.addDimension('tier', tier);
    metric.addMetadata('group', group);
    metric.addMetric('JobsOverflowed', MetricUnit.Count, jobs);
  }
  return { batchItemFailures: result.failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
};
