// Conversations on one shard table for one tenant. Every key is built by lambdas/schema.ts from the tenant id
// this store was constructed with, so a store can only ever address its own tenant's items. Every write carries a
// condition check on the tenant's placement marker for this shard and the route's epoch, so a writer with a stale
// route (the tenant was fenced or moved to another shard) is refused by DynamoDB itself.
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { LISTING_BUCKETS, LISTING_INDEX, listingBucket, shardKeys } from '../../schema.js';
import type {
  CommentRecord,
  ConversationRecord,
  ConversationStore,
  IdempotencyClaim,
  ListPosition,
  WriteOutcome,
} from '../../core/ports.js';
import { PlacementRefused, type PlacementState } from '../../core/tenancy/placement-fence.js';
import type { TenantId } from '../../core/tenancy/tenancy.js';
import { withConflictRetry } from './dynamo-errors.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type Item = Record<string, unknown>;

const toConversation = (item: Item): ConversationRecord => ({
  id: item.id as string,
  subject: item.subject as string,
  body: item.body as string,
  author: item.author as string,
  createdAt: item.createdAt as string,
  updatedAt: item.updatedAt as string,
  commentCount: item.commentCount as number,
  version: item.v as number,
  deleted: item.deleted === true,
});

/** Which items of a cancelled transaction failed their condition (DynamoDB reports a reason per item, in order). */
function failedConditions(error: unknown): boolean[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  const failed = (error.CancellationReasons ?? []).map((reason) => reason.Code === 'ConditionalCheckFailed');
  return failed.some(Boolean) ? failed : undefined;
}

const toComment = (item: Item): CommentRecord => ({
  id: item.id as string,
  conversationId: item.conversationId as string,
  body: item.body as string,
  author: item.author as string,
  createdAt: item.createdAt as string,
  version: item.v as number,
  deleted: item.deleted === true,
});

export class DynamoConversationStore implements ConversationStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly tenantId: TenantId,
    /** The epoch of the route this store was built from (the tenant directory's `epoch`). */
    private readonly epoch = 1,
  ) {}

  /**
   * The write is valid only while the tenant's marker on this shard (for the conversation's bucket) is absent
   * (the tenant never moved) or active with this route's epoch. It goes last, so the indexes of the other items
   * (the claim first) keep their meaning.
   */
  private placementCheck(conversationId: string): TransactItem {
    return {
      ConditionCheck: {
        TableName: this.table,
        Key: shardKeys.placement(this.tenantId, listingBucket(conversationId)),
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :active AND epoch = :epoch)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':active': 'active', ':epoch': this.epoch },
      },
    };
  }

  /** Why the marker refused a write: still fenced, or the route is stale (moved away, or an older epoch). */
  private async placementRefusal(conversationId: string): Promise<PlacementRefused> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: shardKeys.placement(this.tenantId, listingBucket(conversationId)),
        ConsistentRead: true,
      }),
    );
    const state = (Item?.state as PlacementState | undefined) ?? 'active';
    const epoch = (Item?.epoch as number | undefined) ?? this.epoch;
    if (state === 'active' && epoch !== this.epoch) return new PlacementRefused('stale-epoch', epoch);
    return new PlacementRefused(state, epoch);
  }

  async createConversation(conversation: ConversationRecord, claim?: IdempotencyClaim, now = new Date()): Promise<WriteOutcome> {
    const bucket = listingBucket(conversation.id);
    const item = {
      ...shardKeys.conversation(this.tenantId, conversation.id),
      ...shardKeys.listing(this.tenantId, bucket, conversation.updatedAt, conversation.id),
      type: 'conversation',
      tenantId: this.tenantId,
      id: conversation.id,
      subject: conversation.subject,
      body: conversation.body,
      author: conversation.author,
      createdAt: conversation.createdAt,
      updatedAt: conversation.updatedAt,
      commentCount: conversation.commentCount,
      v: conversation.version,
      deleted: false,
    };
    const put: TransactItem = { Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
    return this.commit(conversation.id, [put], claim, now);
  }

  async addComment(comment: CommentRecord, claim?: IdempotencyClaim, now = new Date()): Promise<WriteOutcome> {
    const conversationKey = shardKeys.conversation(this.tenantId, comment.conversationId);
    const listing = shardKeys.listing(this.tenantId, listingBucket(comment.conversationId), comment.createdAt, comment.conversationId);
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.table,
          Key: conversationKey,
          UpdateExpression: 'SET updatedAt = :at, gsi1sk = :gsi1sk, v = v + :one, commentCount = commentCount + :one',
          ConditionExpression: 'attribute_exists(pk) AND deleted = :false',
          ExpressionAttributeValues: { ':at': comment.createdAt, ':gsi1sk': listing.gsi1sk, ':one': 1, ':false': false },
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: {
            ...shardKeys.comment(this.tenantId, comment.conversationId, comment.id),
            type: 'comment',
            tenantId: this.tenantId,
            id: comment.id,
            conversationId: comment.conversationId,
            body: comment.body,
            author: comment.author,
            createdAt: comment.createdAt,
            updatedAt: comment.createdAt,
            v: comment.version,
            deleted: false,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    return this.commit(comment.conversationId, items, claim, now, 0);
  }

  /**
   * Commits the change and, when given, the idempotency claim in one transaction. A failed claim means the key
   * is taken: the stored request decides between a replay and a reuse error.
   */
  private async commit(
    conversationId: string,
    items: TransactItem[],
    claim: IdempotencyClaim | undefined,
    now: Date,
    conversationIndex = -1,
  ): Promise<WriteOutcome> {
    const claimItem: TransactItem[] = claim
      ? [
          {
            Put: {
              TableName: this.table,
              Item: {
                ...shardKeys.idempotency(this.tenantId, claim.key),
                type: 'idempotency',
                tenantId: this.tenantId,
                requestHash: claim.requestHash,
                response: claim.response,
                expiresAt: claim.expiresAt,
              },
              ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
              ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
            },
          },
        ]
      : [];
    // The claim goes first so that a retry is recognised as a replay before any other condition is judged; the
    // placement check goes last.
    const transactItems = [...claimItem, ...items, this.placementCheck(conversationId)];
    try {
      await withConflictRetry(() => this.doc.send(new TransactWriteCommand({ TransactItems: transactItems })));
      return { kind: 'written' };
    } catch (error) {
      const failed = failedConditions(error);
      if (!failed) throw error;
      // A refused route outranks every other verdict: this shard's copy may be behind the tenant's real one.
      if (failed[transactItems.length - 1]) throw await this.placementRefusal(conversationId);
      if (claim && failed[0]) return this.judgeClaim(claim);
      if (conversationIndex >= 0 && failed[claimItem.length + conversationIndex]) return { kind: 'conversation-missing' };
      throw error;
    }
  }

  private async judgeClaim(claim: IdempotencyClaim): Promise<WriteOutcome> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: shardKeys.idempotency(this.tenantId, claim.key), ConsistentRead: true }),
    );
    if (Item && Item.requestHash === claim.requestHash) return { kind: 'replay', response: Item.response as string };
    return { kind: 'key-reused' };
  }

  async getConversation(conversationId: string): Promise<ConversationRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: shardKeys.conversation(this.tenantId, conversationId), ConsistentRead: true }),
    );
    return Item ? toConversation(Item) : undefined;
  }

  async listConversations(limit: number, after?: ListPosition): Promise<{ items: ConversationRecord[]; next?: ListPosition }> {
    const perBucket = await Promise.all(Array.from({ length: LISTING_BUCKETS }, (_, bucket) => this.readBucket(bucket, limit + 1, after)));
    const merged = perBucket.flat().sort((a, b) => (a.gsi1sk < b.gsi1sk ? 1 : a.gsi1sk > b.gsi1sk ? -1 : 0));
    const page = merged.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((entry) => toConversation(entry.item)),
      next: merged.length > limit && last ? last.gsi1sk : undefined,
    };
  }

  /** Up to `want` live conversations of one listing bucket, newest first, strictly older than `after`. */
  private async readBucket(bucket: number, want: number, after?: string): Promise<{ gsi1sk: string; item: Item }[]> {
    const found: { gsi1sk: string; item: Item }[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: LISTING_INDEX,
          KeyConditionExpression: after === undefined ? 'gsi1pk = :p' : 'gsi1pk = :p AND gsi1sk < :after',
          FilterExpression: 'deleted = :false',
          ExpressionAttributeValues: {
            ':p': shardKeys.listingPartition(this.tenantId, bucket),
            ':false': false,
            ...(after === undefined ? {} : { ':after': after }),
          },
          ScanIndexForward: false,
          Limit: want,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) found.push({ gsi1sk: item.gsi1sk as string, item });
      startKey = page.LastEvaluatedKey;
    } while (startKey && found.length < want);
    return found.slice(0, want);
  }

  async listComments(conversationId: string, limit: number, after?: string): Promise<{ items: CommentRecord[]; next?: string }> {
    const key = shardKeys.conversation(this.tenantId, conversationId);
    const page = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
        ExpressionAttributeValues: { ':pk': key.pk, ':m': shardKeys.commentPrefix },
        ConsistentRead: true,
        Limit: limit,
        ExclusiveStartKey: after === undefined ? undefined : shardKeys.comment(this.tenantId, conversationId, after),
      }),
    );
    const items = (page.Items ?? []).map(toComment);
    const last = items.at(-1);
    return { items, next: page.LastEvaluatedKey && last ? last.id : undefined };
  }

  async softDeleteConversation(conversationId: string, at: string): Promise<boolean> {
    const update: TransactItem = {
      Update: {
        TableName: this.table,
        Key: shardKeys.conversation(this.tenantId, conversationId),
        UpdateExpression: 'SET deleted = :true, updatedAt = :at, v = v + :one',
        ConditionExpression: 'attribute_exists(pk) AND deleted = :false',
        ExpressionAttributeValues: { ':true': true, ':false': false, ':at': at, ':one': 1 },
      },
    };
    try {
      await withConflictRetry(() =>
        this.doc.send(new TransactWriteCommand({ TransactItems: [update, this.placementCheck(conversationId)] })),
      );
      return true;
    } catch (error) {
      const failed = failedConditions(error);
      if (!failed) throw error;
      if (failed[1]) throw await this.placementRefusal(conversationId);
      return (await this.getConversation(conversationId)) !== undefined;
    }
  }
}
