// Enumerating one tenant's items on DynamoDB Local: complete, resumable from its cursor, never another tenant's
// items, and finite while the tenant keeps writing (a written conversation jumps to the end of the listing index).
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoConversationStore } from '../../../lambdas/adapters/aws/dynamo-conversation-store.js';
import { DynamoTenantItems } from '../../../lambdas/adapters/aws/dynamo-tenant-items.js';
import type { ShardItem } from '../../../lambdas/core/tenancy/tenant-items.js';
import type { TenantId } from '../../../lambdas/core/tenancy/tenancy.js';
import { createTestTables, type TestTables } from '../../support/dynamo.js';
import { comment, conversation } from './conversation-store-contract.js';

let tables: TestTables;
let table: string;
beforeAll(async () => {
  tables = await createTestTables(1);
  table = tables.topology[0]?.table as string;
});

const keyOf = (item: ShardItem) => `${item.pk as string}|${item.sk as string}`;

async function seed(tenant: string, conversations: number, commentsEach: number) {
  const store = new DynamoConversationStore(tables.doc, table, tenant as TenantId, 1);
  const ids: string[] = [];
  for (let i = 0; i < conversations; i++) {
    const at = new Date(Date.now() - (conversations - i) * 1000).toISOString();
    const c = conversation(at);
    await store.createConversation(c);
    for (let j = 0; j < commentsEach; j++) await store.addComment(comment(c.id, at, `comment ${j}`));
    ids.push(c.id);
  }
  return { store, ids };
}

async function walk(source: DynamoTenantItems, tenant: string, limit: number, between?: () => Promise<void>) {
  const seen = new Map<string, ShardItem>();
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await source.page(tenant as TenantId, cursor, limit);
    for (const item of page.items) seen.set(keyOf(item), item);
    cursor = page.cursor;
    pages++;
    await between?.();
    if (pages > 500) throw new Error('the walk does not end');
  } while (cursor !== undefined);
  return { seen, pages };
}

describe('DynamoTenantItems', () => {
  it('returns every conversation and comment of the tenant, in pages, and nothing of a look-alike tenant', async () => {
    await seed('walker', 12, 3);
    await seed('walker-2', 4, 1);
    const { seen, pages } = await walk(new DynamoTenantItems(tables.doc, table), 'walker', 10);
    expect(seen.size).toBe(12 * 4);
    expect(pages).toBeGreaterThan(2);
    expect([...seen.values()].every((item) => item.tenantId === 'walker')).toBe(true);
    expect([...seen.values()].every((item) => item.type === 'conversation' || item.type === 'comment')).toBe(true);
  });

  it('ends while the tenant keeps commenting, and still sees every item that existed before the walk began', async () => {
    const { store, ids } = await seed('busy', 10, 2);
    const before = await walk(new DynamoTenantItems(tables.doc, table), 'busy', 1000);
    let n = 0;
    // After every page, comment on the conversations the walk has not reached yet: each jumps to the index's end.
    const { seen } = await walk(new DynamoTenantItems(tables.doc, table), 'busy', 3, async () => {
      for (const id of ids.slice(0, 3)) await store.addComment(comment(id, new Date().toISOString(), `during ${n++}`));
    });
    for (const key of before.seen.keys()) expect(seen.has(key), key).toBe(true);
  });
});
