// Conversation summaries in the tenant's shard table, next to the conversation (same partition, same tenant
// prefix, so IAM leading-key isolation covers them). The write is version-guarded: a summary made from an older
// conversation version never replaces one made from a newer version, whatever order the jobs finish in.
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConversationSummary, SummaryStore } from '../../core/llm/conversation-summary.js';
import { shardKeys } from '../../schema.js';
import { isConditionFailure } from './dynamo-errors.js';

export class DynamoSummaryStore implements SummaryStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly tenantId: string,
  ) {}

  async get(conversationId: string): Promise<ConversationSummary | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: shardKeys.summary(this.tenantId, conversationId) }));
    if (!Item) return undefined;
    return {
      conversationId,
      text: Item.text as string,
      coveredVersion: Item.coveredVersion as number,
      generatedAt: Item.generatedAt as string,
      route: Item.route as string,
    };
  }

  async put(summary: ConversationSummary): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          // `type: summary` keeps the change relay from turning summary writes into jobs (no feedback loop).
          Item: { ...shardKeys.summary(this.tenantId, summary.conversationId), type: 'summary', tenantId: this.tenantId, ...summary },
          ConditionExpression: 'attribute_not_exists(pk) OR coveredVersion < :v',
          ExpressionAttributeValues: { ':v': summary.coveredVersion },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
