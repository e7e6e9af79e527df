// The token quota's ledger in the control table: one counter item per tenant per UTC day, incremented with an
// atomic ADD so concurrent instances never lose each other's spend. Items expire two days after their day.
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TenantId } from '../../core/tenancy/tenancy.js';
import type { TokenLedger } from '../../core/llm/token-quota.js';
import { controlKeys } from '../../schema.js';

const expiresAt = (day: string) => Math.floor(new Date(`${day}T00:00:00.000Z`).getTime() / 1000) + 3 * 86_400;

export class DynamoTokenLedger implements TokenLedger {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async spent(tenantId: TenantId, day: string): Promise<number> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: controlKeys.llmTokens(tenantId, day) }));
    return (Item?.tokens as number | undefined) ?? 0;
  }

  async add(tenantId: TenantId, day: string, tokens: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: controlKeys.llmTokens(tenantId, day),
        UpdateExpression: 'ADD tokens :n SET expiresAt = if_not_exists(expiresAt, :exp)',
        ExpressionAttributeValues: { ':n': tokens, ':exp': expiresAt(day) },
      }),
    );
  }
}
