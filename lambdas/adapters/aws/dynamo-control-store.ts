// Tenants and tokens in the control table. A token item and the profile that names it change in one
// transaction, so a token either resolves to its tenant or to nothing, never to a half-rotated state.
import { GetCommand, paginateScan, ScanCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { controlKeys } from '../../schema.js';
import type { ControlStore, TenantPage } from '../../core/ports.js';
import type { ShardName, TenantId, TenantProfile } from '../../core/tenancy/tenancy.js';
import { failedConditionIndex } from './dynamo-errors.js';

const toProfile = (item: Record<string, unknown>): TenantProfile => ({
  tenantId: item.tenantId as TenantId,
  shard: item.shard as string,
  epoch: item.epoch as number,
  group: item.group as string,
  tier: item.tier as TenantProfile['tier'],
  status: item.status as TenantProfile['status'],
  createdAt: item.createdAt as string,
  tokenHash: item.tokenHash as string,
  usageKey: item.usageKey as string,
});

export class DynamoControlStore implements ControlStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getTenant(tenantId: TenantId): Promise<TenantProfile | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: controlKeys.tenant(tenantId), ConsistentRead: true }),
    );
    return Item ? toProfile(Item) : undefined;
  }

  async createTenant(profile: TenantProfile): Promise<boolean> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: { ...controlKeys.tenant(profile.tenantId), type: 'tenant', ...profile },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: { ...controlKeys.token(profile.tokenHash), type: 'token', tenantId: profile.tenantId, createdAt: profile.createdAt },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (failedConditionIndex(error) === 0) return false;
      throw error;
    }
  }

  async listTenants(limit: number, after?: string): Promise<TenantPage> {
    const items: TenantProfile[] = [];
    let startKey: Record<string, unknown> | undefined = after === undefined ? undefined : controlKeys.tenant(after);
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: '#type = :tenant',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':tenant': 'tenant' },
          Limit: Math.max(limit * 4, 100),
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []).map(toProfile));
      startKey = page.LastEvaluatedKey;
    } while (startKey && items.length < limit);
    const pageItems = items.slice(0, limit);
    const more = items.length > limit || startKey !== undefined;
    return { items: pageItems, next: more ? pageItems.at(-1)?.tenantId : undefined };
  }

  async countTenantsByShard(): Promise<Record<ShardName, number>> {
    const counts: Record<ShardName, number> = {};
    const scan = {
      TableName: this.table,
      FilterExpression: '#type = :tenant',
      ProjectionExpression: '#shard',
      ExpressionAttributeNames: { '#type': 'type', '#shard': 'shard' },
      ExpressionAttributeValues: { ':tenant': 'tenant' },
    };
    for await (const page of paginateScan({ client: this.doc }, scan)) {
      for (const item of page.Items ?? []) counts[item.shard as string] = (counts[item.shard as string] ?? 0) + 1;
    }
    return counts;
  }

  async findTokenOwner(tokenHash: string): Promise<TenantId | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: controlKeys.token(tokenHash), ConsistentRead: true }),
    );
    return Item?.tenantId as TenantId | undefined;
  }

  async replaceToken(tenantId: TenantId, oldHash: string, newHash: string, at: string): Promise<boolean> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: controlKeys.tenant(tenantId),
                UpdateExpression: 'SET tokenHash = :new',
                ConditionExpression: 'tokenHash = :old',
                ExpressionAttributeValues: { ':new': newHash, ':old': oldHash },
              },
            },
            { Delete: { TableName: this.table, Key: controlKeys.token(oldHash) } },
            {
              Put: {
                TableName: this.table,
                Item: { ...controlKeys.token(newHash), type: 'token', tenantId, createdAt: at },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (failedConditionIndex(error) === 0) return false;
      throw error;
    }
  }
}
