// A shard's size for operators: DynamoDB's item count (refreshed by DynamoDB about every six hours, so it is a
// guide, not a count) and, where the platform can tell, the writes per second it takes now.
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { ShardStats } from '../../core/moves/move-admin.js';
import type { ShardName } from '../../core/tenancy/tenancy.js';
import type { DocumentClient } from './aws-clients.js';

export class DynamoShardStats implements ShardStats {
  constructor(
    private readonly doc: DocumentClient,
    private readonly tableOf: (shard: ShardName) => string,
    private readonly writeRate?: (shard: ShardName) => Promise<number | null>,
  ) {}

  async stats(shard: ShardName): Promise<{ items: number | null; writesPerSecond: number | null }> {
    const described = await this.doc.send(new DescribeTableCommand({ TableName: this.tableOf(shard) }));
    return { items: described.Table?.ItemCount ?? null, writesPerSecond: this.writeRate ? await this.writeRate(shard) : null };
  }
}
