// The DynamoDB conversation store on DynamoDB Local: its key layout, and the shared store contract.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoConversationStore } from '../../../lambdas/adapters/aws/dynamo-conversation-store.js';
import type { TenantId } from '../../../lambdas/core/tenancy/tenancy.js';
import { LISTING_BUCKETS, listingBucket, shardKeys } from '../../../lambdas/schema.js';
import { createTestTables, type TestTables } from '../../support/dynamo.js';
import { conversation, conversationStoreContract } from './conversation-store-contract.js';

let tables: TestTables;
let table: string;
const store = (tenant: string) => new DynamoConversationStore(tables.doc, table, tenant as TenantId);

beforeAll(async () => {
  tables = await createTestTables(1);
  table = tables.topology[0]!.table;
});

describe('DynamoConversationStore key layout', () => {
  it('stores items under the tenant prefix with version 1 and the write-sharded listing keys', async () => {
    const c = conversation('2026-01-01T00:00:00.000Z');
    await store('acme').createConversation(c);
    const { Item } = await tables.doc.send(new GetCommand({ TableName: table, Key: shardKeys.conversation('acme', c.id) }));
    expect(Item).toMatchObject({ pk: `T#acme#C#${c.id}`, sk: 'META', tenantId: 'acme', v: 1, deleted: false });
    expect(Item?.gsi1pk).toBe(`T#acme#B#${listingBucket(c.id)}`);
    expect(Item?.gsi1sk).toBe(`2026-01-01T00:00:00.000Z#${c.id}`);
  });

  it('spreads one tenant over every listing bucket', async () => {
    const ids = Array.from({ length: 64 }, () => conversation('2026-01-01T00:00:00.000Z').id);
    expect(new Set(ids.map(listingBucket)).size).toBe(LISTING_BUCKETS);
  });
});

conversationStoreContract('DynamoConversationStore', async () => store);
