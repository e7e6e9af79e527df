// DynamoDB Streams consumer (one event source per shard): committed changes → jobs on the fair queues.
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { changeRecordOf } from '../adapters/aws/dynamodb-stream-records.js';
import { emit, logger } from '../observability.js';
import { jobRelayOf } from '../composition/job-relay.js';
import { platform } from '../composition/platform.js';

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const result = await jobRelayOf(platform()).relay(event.Records.map(changeRecordOf));
  for (const { group, tier, jobs } of result.overflowed) {
    logger.info('group over its admission quota; jobs sent to the overflow queue', { group, tier, jobs });
    emit.jobsOverflowed(tier, group, jobs);
  }
  return { batchItemFailures: result.failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
};
