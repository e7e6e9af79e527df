// One tenant's items on one shard table: conversations found through the tenant's listing-index buckets, each
// followed by its whole partition (the conversation and its comments). The cursor records the bucket, the
// position in it, and the conversation partition in progress, so a backfill resumes exactly where it stopped.
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LISTING_BUCKETS, LISTING_INDEX, shardKeys } from '../../schema.js';
import type { ShardItem, TenantItemPage, TenantItemSource } from '../../core/tenant-items.js';
import type { TenantId } from '../../core/tenancy.js';

interface Cursor {
  /** Listing bucket being walked. */
  b: number;
  /** Position in the bucket: the listing-index key of the last conversation whose partition was read. */
  k?: Record<string, unknown>;
}

/** Conversation partitions read at once: DynamoDB answers each in a few milliseconds, so parallel reads set the pace. */
const PARALLEL_PARTITIONS = 16;

const encode = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');
const decode = (cursor: string): Cursor => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;

export class DynamoTenantItems implements TenantItemSource {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(key: { readonly pk: string; readonly sk: string }): Promise<ShardItem | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true }));
    return Item;
  }

  async page(tenantId: TenantId, cursorText: string | undefined, limit: number): Promise<TenantItemPage> {
    const cursor: Cursor = cursorText ? decode(cursorText) : { b: 0 };
    const items: ShardItem[] = [];
    while (items.length < limit && cursor.b < LISTING_BUCKETS) {
      const { Items, LastEvaluatedKey } = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: LISTING_INDEX,
          KeyConditionExpression: 'gsi1pk = :bucket',
          ExpressionAttributeValues: { ':bucket': shardKeys.listingPartition(tenantId, cursor.b) },
          ProjectionExpression: 'pk, sk, gsi1pk, gsi1sk',
          // Conversations per round; each brings its comments, so a page may pass `limit` by one round.
          Limit: Math.min(64, Math.max(1, Math.ceil((limit - items.length) / 4))),
          ...(cursor.k ? { ExclusiveStartKey: cursor.k } : {}),
        }),
      );
      const conversations = Items ?? [];
      for (let i = 0; i < conversations.length; i += PARALLEL_PARTITIONS) {
        const partitions = await Promise.all(
          conversations.slice(i, i + PARALLEL_PARTITIONS).map((conversation) => this.partition(conversation.pk as string)),
        );
        for (const partition of partitions) items.push(...partition);
      }
      if (LastEvaluatedKey) cursor.k = LastEvaluatedKey;
      else {
        cursor.b += 1;
        delete cursor.k;
      }
    }
    return cursor.b < LISTING_BUCKETS ? { items, cursor: encode(cursor) } : { items };
  }

  /** A conversation and all its comments (bookkeeping items such as idempotency keys live elsewhere). */
  private async partition(pk: string): Promise<ShardItem[]> {
    const items: ShardItem[] = [];
    let after: Record<string, unknown> | undefined;
    do {
      const { Items, LastEvaluatedKey } = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          ...(after ? { ExclusiveStartKey: after } : {}),
        }),
      );
      items.push(...(Items ?? []).filter((item) => item.type === 'conversation' || item.type === 'comment'));
      after = LastEvaluatedKey;
    } while (after);
    return items;
  }
}
