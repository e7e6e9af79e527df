// Everything one tenant owns on one shard table (TENANT_ITEM_KINDS: conversations, comments, summaries, idempotency
// keys), found by a paced Scan filtered to the tenant's key prefix. Used by tenant moves instead of the listing-index
// walk: a Scan's order is the table's key hash order, which a write never changes, so a tenant that keeps commenting
// cannot keep pushing its busiest conversations ahead of the cursor (on the listing index every comment moves its
// conversation to the end, and a backfill could chase it forever), and it reaches the idempotency keys, which no
// index lists. The cost is reading the other tenants' items too; the move paces it (tenantMove.backfillItemsPerSecond).
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { shardKeys } from '../../schema.js';
import { TENANT_ITEM_KINDS, type ShardItem, type TenantItemPage, type TenantItemSource } from '../../core/tenancy/tenant-items.js';
import type { TenantId } from '../../core/tenancy/tenancy.js';
import { DynamoTenantItems } from './dynamo-tenant-items.js';

/** Items evaluated per Scan request; the filter keeps only the tenant's own items (never its placement markers). */
const SCAN_PAGE = 1000;

const kindValues = Object.fromEntries(TENANT_ITEM_KINDS.map((kind, n) => [`:kind${n}`, kind]));

const encode = (key: Record<string, unknown>): string => Buffer.from(JSON.stringify(key)).toString('base64url');
const decode = (cursor: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;

export class DynamoTenantScan implements TenantItemSource {
  private readonly single: DynamoTenantItems;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {
    this.single = new DynamoTenantItems(doc, table);
  }

  get(key: { readonly pk: string; readonly sk: string }): Promise<ShardItem | undefined> {
    return this.single.get(key);
  }

  /**
   * The tenant's content only (the listing walk's estimate): summaries and idempotency keys are in no index, and
   * counting them would cost the Scan itself, so the move measures its progress in content items alone.
   */
  estimate(tenantId: TenantId): Promise<number> {
    return this.single.estimate(tenantId);
  }

  async page(tenantId: TenantId, cursor: string | undefined, limit: number): Promise<TenantItemPage> {
    const items: ShardItem[] = [];
    let start = cursor === undefined ? undefined : decode(cursor);
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: `begins_with(pk, :prefix) AND #type IN (${Object.keys(kindValues).join(', ')})`,
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':prefix': shardKeys.tenantPrefix(tenantId), ...kindValues },
          ConsistentRead: true,
          Limit: Math.min(SCAN_PAGE, Math.max(limit, 100)),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && items.length < limit);
    return start ? { items, cursor: encode(start) } : { items };
  }
}
