// The release ledger in the control table: one item per API function under the `RELEASE` partition (the last
// CodeDeploy release of its alias) and an append-only `ROLLBACK#<function>` history. A deployment's success only
// lands on the record of that same deployment, so a late event of an older deployment cannot rewrite a newer one.
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ReleaseLedger } from '../../core/operations/release-rollback.js';
import type { ReleaseRecord } from '../../core/operations/rollback-decision.js';
import { controlKeys } from '../../schema.js';
import { isConditionFailure } from './dynamo-errors.js';

const toRecord = (item: Record<string, unknown>): ReleaseRecord => ({
  functionName: item.functionName as string,
  aliasName: item.aliasName as string,
  deploymentId: item.deploymentId as string,
  startedAt: item.startedAt as string,
  ...(item.version === undefined ? {} : { version: item.version as string }),
  ...(item.previousVersion === undefined ? {} : { previousVersion: item.previousVersion as string }),
  ...(item.finishedAt === undefined ? {} : { finishedAt: item.finishedAt as string }),
  ...(item.rolledBackAt === undefined ? {} : { rolledBackAt: item.rolledBackAt as string }),
});

export class DynamoReleaseLedger implements ReleaseLedger {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async latest(functionName: string): Promise<ReleaseRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: controlKeys.release(functionName), ConsistentRead: true }),
    );
    return Item ? toRecord(Item) : undefined;
  }

  async started(release: ReleaseRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: { ...controlKeys.release(release.functionName), type: 'release', ...release } }),
    );
  }

  async finished(functionName: string, deploymentId: string, version: string, finishedAt: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: controlKeys.release(functionName),
          UpdateExpression: 'SET #version = :version, finishedAt = :finishedAt',
          ConditionExpression: 'deploymentId = :deploymentId',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': version, ':finishedAt': finishedAt, ':deploymentId': deploymentId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async rolledBack(decision: Parameters<ReleaseLedger['rolledBack']>[0], alarmName: string, at: string): Promise<void> {
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.table,
              Key: controlKeys.release(decision.functionName),
              UpdateExpression: 'SET rolledBackAt = :at',
              ConditionExpression: 'deploymentId = :deploymentId',
              ExpressionAttributeValues: { ':at': at, ':deploymentId': decision.deploymentId },
            },
          },
          {
            Put: {
              TableName: this.table,
              Item: {
                ...controlKeys.rollback(decision.functionName, at),
                type: 'rollback',
                functionName: decision.functionName,
                aliasName: decision.aliasName,
                deploymentId: decision.deploymentId,
                fromVersion: decision.fromVersion,
                toVersion: decision.toVersion,
                alarmName,
                reason: decision.reason,
                at,
              },
            },
          },
        ],
      }),
    );
  }
}
