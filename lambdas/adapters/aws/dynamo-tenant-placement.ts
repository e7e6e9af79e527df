// The directory flip of a tenant move: the profile's shard changes only if its epoch is still the one the move
// started from, and the epoch goes up with it, so two movers (or a move and an operator) can never both win.
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { controlKeys } from '../../schema.js';
import type { TenantPlacement } from '../../core/moves/tenant-move.js';
import { isConditionFailure } from './dynamo-errors.js';

export class DynamoTenantPlacement implements TenantPlacement {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async flip(tenantId: string, from: string, expectedEpoch: number, to: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: controlKeys.tenant(tenantId),
          UpdateExpression: 'SET #shard = :to, epoch = :next',
          ConditionExpression: 'epoch = :epoch AND #shard = :from',
          ExpressionAttributeNames: { '#shard': 'shard' },
          ExpressionAttributeValues: { ':to': to, ':from': from, ':epoch': expectedEpoch, ':next': expectedEpoch + 1 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
