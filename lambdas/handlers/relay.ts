// DynamoDB Streams consumer (one event source per shard): committed changes → jobs on the fair queues.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { changeRecordOf } from '../adapters/aws/dynamodb-stream-records.js';
import { logger, metrics } from '../observability.js';
import { OPERATIONS_METRICS } from '../operations-contract.js';
import { platform } from '../composition/platform.js';

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const result = await platform().relay(event.Records.map(changeRecordOf));
  for (const { group, tier, jobs } of result.overflowed) {
    logger.info('group over its admission quota; jobs sent to the overflow queue', { group, tier, jobs });
    const metric = metrics.singleMetric();
    metric.addDimension('tier', tier);
    metric.addMetadata('group', group);
    metric.addMetric(OPERATIONS_METRICS.jobsOverflowed, MetricUnit.Count, jobs);
  }
  return { batchItemFailures: result.failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
};
