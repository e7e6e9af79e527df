// One tenant's items on one shard table, found by a paced Scan filtered to the tenant's key prefix. Used by tenant
// moves instead of the listing-index walk: a Scan's order is the table's key hash order, which a write never
// changes, so a tenant that keeps commenting cannot keep pushing its busiest conversations ahead of the cursor
// (on the listing index every comment moves its conversation to the end, and a backfill could chase it forever).
// The cost is reading the other tenants' items too; the move paces it (tenantMove.backfillItemsPerSecond).
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { shardKeys } from '../../schema.js';
import type { ShardItem, TenantItemPage, TenantItemSource } from '../../core/tenancy/tenant-items.js';
import type { TenantId } from '../../core/tenancy/tenancy.js';
import { DynamoTenantItems } from './dynamo-tenant-items.js';

/** Items evaluated per Scan request; the filter keeps only the tenant's conversations and comments. */
const SCAN_PAGE = 1000;

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
          FilterExpression: 'begins_with(pk, :prefix) AND (#type = :conversation OR #type = :comment)',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: {
            ':prefix': shardKeys.tenantPrefix(tenantId),
            ':conversation': 'conversation',
            ':comment': 'comment',
          },
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
