// One tenant's items on one shard table: conversations found through the tenant's listing-index buckets, each
// followed by its whole partition (the conversation and its comments). The listing index is ordered by last update,
// and a conversation written during the walk jumps to its end, so a walk is bounded: pass 0 walks the entries
// updated up to the moment it started; a conversation that moved past that bound before being reached is found by
// the next pass, which first lists (keys only, in one go) the conversations updated during the previous pass and
// then reads each by its partition key, which never moves. Passes repeat until one finds nothing. Changes after
// the last pass reach the target through dual-write or catch-up, which callers turn on before enumerating.
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LISTING_BUCKETS, LISTING_INDEX, shardKeys } from '../../schema.js';
import {
  CONTENT_KINDS,
  type ShardItem,
  type TenantItemKind,
  type TenantItemPage,
  type TenantItemSource,
} from '../../core/tenancy/tenant-items.js';
import type { TenantId } from '../../core/tenancy/tenancy.js';

interface Cursor {
  /** Pass number; the pass visits listing entries with `lo < gsi1sk <= hi`. */
  p: number;
  lo: string;
  hi: string;
  /** Listing bucket being walked (pass 0). */
  b: number;
  /** Position in the bucket: the listing-index key of the last conversation whose partition was read. */
  k?: Record<string, unknown>;
  /** Later passes: the conversation partitions still to read. */
  ids?: string[];
}

/** Passes after the first; a conversation written during every id listing of them is left to dual-write (see above). */
const MAX_PASSES = 6;
/** Sorts after `<iso>#<id>` for the same instant, so an upper bound includes every entry of that instant. */
const upTo = (at: Date) => `${at.toISOString()}~`;

/** Conversation partitions read at once: DynamoDB answers each in a few milliseconds, so parallel reads set the pace. */
const PARALLEL_PARTITIONS = 16;

const encode = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');
const decode = (cursor: string): Cursor => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;

export class DynamoTenantItems implements TenantItemSource {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(key: { readonly pk: string; readonly sk: string }): Promise<ShardItem | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true }));
    return Item;
  }

  /**
   * One listing entry per conversation, each carrying its comment count: a keys-and-one-number walk of the listing
   * index instead of every partition. Approximate, since the tenant keeps writing while it runs.
   */
  async estimate(tenantId: TenantId): Promise<number> {
    const buckets = await Promise.all(
      Array.from({ length: LISTING_BUCKETS }, async (_, bucket) => {
        let items = 0;
        for await (const entry of this.listingEntries(tenantId, bucket, 'commentCount'))
          items += 1 + (typeof entry.commentCount === 'number' ? entry.commentCount : 0);
        return items;
      }),
    );
    return buckets.reduce((sum, items) => sum + items, 0);
  }

  async page(tenantId: TenantId, cursorText: string | undefined, limit: number): Promise<TenantItemPage> {
    const cursor: Cursor = cursorText ? decode(cursorText) : { p: 0, lo: '', hi: upTo(this.now()), b: 0 };
    const items: ShardItem[] = [];
    while (items.length < limit) {
      if (cursor.p > 0) {
        cursor.ids ??= await this.updatedBetween(tenantId, cursor.lo, cursor.hi);
        if (cursor.ids.length === 0) return { items };
        const batch = cursor.ids.splice(0, PARALLEL_PARTITIONS);
        for (const partition of await Promise.all(batch.map((pk) => this.partition(pk)))) items.push(...partition);
        if (cursor.ids.length === 0) this.nextPass(cursor);
        if (cursor.p > MAX_PASSES) return { items };
        continue;
      }
      if (cursor.b >= LISTING_BUCKETS) {
        this.nextPass(cursor);
        continue;
      }
      const { Items, LastEvaluatedKey } = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: LISTING_INDEX,
          KeyConditionExpression: 'gsi1pk = :bucket AND gsi1sk BETWEEN :lo AND :hi',
          ExpressionAttributeValues: {
            ':bucket': shardKeys.listingPartition(tenantId, cursor.b),
            ':lo': `${cursor.lo}\u0000`,
            ':hi': cursor.hi,
          },
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
    return { items, cursor: encode(cursor) };
  }

  /** Starts the next pass: what was updated since the current pass began. */
  private nextPass(cursor: Cursor): void {
    Object.assign(cursor, { p: cursor.p + 1, lo: cursor.hi, hi: upTo(this.now()), b: 0 });
    delete cursor.k;
    delete cursor.ids;
  }

  /** Partition keys of the tenant's conversations whose listing entry lies in (lo, hi], every bucket. */
  private async updatedBetween(tenantId: TenantId, lo: string, hi: string): Promise<string[]> {
    const pks = new Set<string>();
    for (let bucket = 0; bucket < LISTING_BUCKETS; bucket++)
      for await (const entry of this.listingEntries(tenantId, bucket, 'pk', { lo: `${lo}\u0000`, hi })) pks.add(entry.pk as string);
    return [...pks];
  }

  /** The listing entries of one of the tenant's buckets (optionally those sorting in [lo, hi]), every page. */
  private async *listingEntries(
    tenantId: TenantId,
    bucket: number,
    projection: string,
    range?: { readonly lo: string; readonly hi: string },
  ): AsyncGenerator<Record<string, unknown>> {
    let after: Record<string, unknown> | undefined;
    do {
      const { Items, LastEvaluatedKey } = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: LISTING_INDEX,
          KeyConditionExpression: range ? 'gsi1pk = :bucket AND gsi1sk BETWEEN :lo AND :hi' : 'gsi1pk = :bucket',
          ExpressionAttributeValues: {
            ':bucket': shardKeys.listingPartition(tenantId, bucket),
            ...(range ? { ':lo': range.lo, ':hi': range.hi } : {}),
          },
          ProjectionExpression: projection,
          ...(after ? { ExclusiveStartKey: after } : {}),
        }),
      );
      yield* Items ?? [];
      after = LastEvaluatedKey;
    } while (after);
  }

  /**
   * A conversation and all its comments: the tenant's content. Its summary, in the same partition, is left out
   * (derived data, not indexed), as are idempotency keys, which have partitions of their own that no index lists
   * (a move finds both with DynamoTenantScan).
   */
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
      items.push(...(Items ?? []).filter((item) => CONTENT_KINDS.includes(item.type as TenantItemKind)));
      after = LastEvaluatedKey;
    } while (after);
    return items;
  }
}
