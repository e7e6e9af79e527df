// The SDK clients of one platform instance, shared by every adapter it builds: one connection pool per service,
// and the composition never names an SDK type itself. Clients read their endpoint when made, so each platform
// makes its own (the embedded platform restarts on new local ports within one process).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

export type DocumentClient = DynamoDBDocumentClient;

/** DynamoDB, with undefined attributes dropped (optional fields of core types are simply absent). */
export const createDocumentClient = (): DocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

export const createSqsClient = (): SQSClient => new SQSClient({});
