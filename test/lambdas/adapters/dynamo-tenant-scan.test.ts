// The move's enumeration on DynamoDB Local: everything the tenant owns (conversations, comments, summaries and
// idempotency keys, whose partitions no index lists), in resumable pages, and nothing of a look-alike tenant or of
// the shard's placement markers; its estimate counts the content only, as the listing walk does.
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoConversationStore } from '../../../lambdas/adapters/aws/dynamo-conversation-store.js';
import { DynamoShardItems } from '../../../lambdas/adapters/aws/dynamo-shard-items.js';
import { DynamoSummaryStore } from '../../../lambdas/adapters/aws/dynamo-summary-store.js';
import { DynamoTenantItems } from '../../../lambdas/adapters/aws/dynamo-tenant-items.js';
import { DynamoTenantScan } from '../../../lambdas/adapters/aws/dynamo-tenant-scan.js';
import { countKinds, type ShardItem } from '../../../lambdas/core/tenancy/tenant-items.js';
import type { TenantId } from '../../../lambdas/core/tenancy/tenancy.js';
import { createTestTables, type TestTables } from '../../support/dynamo.js';
import { comment, conversation } from './conversation-store-contract.js';

let tables: TestTables;
let table: string;
beforeAll(async () => {
  tables = await createTestTables(1);
  table = tables.topology[0]?.table as string;
});

/** `conversations` conversations with `commentsEach` comments, the first two created with an Idempotency-Key, one summary. */
async function seed(tenant: string, conversations: number, commentsEach: number) {
  const store = new DynamoConversationStore(tables.doc, table, tenant as TenantId, 1);
  const expiresAt = Math.floor(Date.now() / 1000) + 3600;
  const ids: string[] = [];
  for (let i = 0; i < conversations; i++) {
    const at = new Date().toISOString();
    const c = conversation(at);
    const claim = i < 2 ? { key: `key-${i}`, requestHash: `hash-${i}`, response: JSON.stringify({ id: c.id }), expiresAt } : undefined;
    await store.createConversation(c, claim);
    for (let j = 0; j < commentsEach; j++) await store.addComment(comment(c.id, at, `comment ${j}`));
    ids.push(c.id);
  }
  await new DynamoSummaryStore(tables.doc, table, tenant).put({
    conversationId: ids[0]!,
    text: 'summary',
    coveredVersion: 1 + commentsEach,
    generatedAt: new Date().toISOString(),
    route: 'primary',
  });
}

async function scan(tenant: string, limit: number) {
  const source = new DynamoTenantScan(tables.doc, table);
  const seen = new Map<string, ShardItem>();
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await source.page(tenant as TenantId, cursor, limit);
    for (const item of page.items) seen.set(`${item.pk as string}|${item.sk as string}`, item);
    cursor = page.cursor;
    pages++;
  } while (cursor !== undefined);
  return { seen: [...seen.values()], pages };
}

describe('DynamoTenantScan', () => {
  it('returns everything the tenant owns, idempotency keys and summaries included, and never a placement marker or a look-alike tenant', async () => {
    await seed('owner', 5, 2);
    // Over a Scan request's 100 evaluated items, so the tenant's items come in more than one page.
    await seed('owner-2', 30, 3);
    await new DynamoShardItems(tables.doc, table).activate('owner', 2);

    const { seen, pages } = await scan('owner', 4);
    expect(pages).toBeGreaterThan(1);
    expect(countKinds({}, seen)).toEqual({ conversation: 5, comment: 10, idempotency: 2, summary: 1 });
    expect(seen.every((item) => item.tenantId === 'owner')).toBe(true);
    expect(seen.filter((item) => item.type === 'idempotency').every((item) => typeof item.expiresAt === 'number')).toBe(true);
  });

  it('estimates the content alone, as the listing walk it shares does', async () => {
    await seed('estimated', 4, 3);
    expect(await new DynamoTenantScan(tables.doc, table).estimate('estimated' as TenantId)).toBe(16);
    expect(await new DynamoTenantItems(tables.doc, table).estimate('estimated' as TenantId)).toBe(16);
    // The listing walk (search backfills) keeps to the content: no summary, no key.
    const walked = await new DynamoTenantItems(tables.doc, table).page('estimated' as TenantId, undefined, 1000);
    expect(countKinds({}, walked.items)).toEqual({ conversation: 4, comment: 12 });
  });
});
