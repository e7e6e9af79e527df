// DynamoDB Streams records (Lambda's event shape) as the change records the core works with: images unmarshalled,
// the approximate creation time (epoch seconds) as an ISO time.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { ChangeRecord } from '../../core/jobs/change-capture.js';

const image = (value: Record<string, unknown> | undefined) => (value ? unmarshall(value as Record<string, AttributeValue>) : undefined);

export const changeRecordOf = (record: DynamoDBRecord): ChangeRecord => ({
  eventName: record.eventName as ChangeRecord['eventName'],
  sequenceNumber: record.dynamodb?.SequenceNumber ?? '',
  approximateCreationTime: new Date((record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000).toISOString(),
  newImage: image(record.dynamodb?.NewImage),
  oldImage: image(record.dynamodb?.OldImage),
});
