// The conversation summary job processor on DynamoDB Local: cheap when nothing is due, writes one summary per
// conversation version next to the conversation, never lets an older summary replace a newer one, never fails a
// job when the background lane is shed (it is counted and regenerated on a later comment), and its writes do not
// feed back into the job pipeline.
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoConversationStore } from '../../../../lambdas/adapters/aws/dynamo-conversation-store.js';
import { DynamoSummaryStore } from '../../../../lambdas/adapters/aws/dynamo-summary-store.js';
import { MemoryTokenLedger } from '../../../../lambdas/adapters/memory/memory-token-ledger.js';
import { captureChange } from '../../../../lambdas/core/jobs/change-capture.js';
import { summarizeAfterComment, type SummaryJobDeps } from '../../../../lambdas/core/llm/conversation-summary.js';
import type { Job } from '../../../../lambdas/core/jobs/jobs.js';
import { RoutingFailure, type LlmRouter } from '../../../../lambdas/core/llm/llm-router.js';
import type { TenantId, TenantProfile } from '../../../../lambdas/core/tenancy/tenancy.js';
import { createTokenQuota } from '../../../../lambdas/core/llm/token-quota.js';
import { shardKeys } from '../../../../lambdas/schema.js';
import { createTestTables, type TestTables } from '../../../support/dynamo.js';
import { GetCommand } from '@aws-sdk/lib-dynamodb';

const tenantId = 'acme' as TenantId;
const profile: TenantProfile = {
  tenantId,
  shard: 'shard-0',
  epoch: 1,
  group: 'acme',
  tier: 'standard',
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  tokenHash: 'x',
  usageKey: 'k',
};

let tables: TestTables;
let table: string;
beforeAll(async () => {
  tables = await createTestTables(1);
  table = tables.topology[0]?.table as string;
});

let nextId = 0;
const id = () => `00000000-0000-7000-8000-${String(++nextId).padStart(12, '0')}`;

async function conversationWithComments(count: number): Promise<string> {
  const store = new DynamoConversationStore(tables.doc, table, tenantId);
  const conversationId = id();
  const at = '2026-01-01T00:00:00.000Z';
  await store.createConversation({
    id: conversationId,
    subject: 'Printer on fire',
    body: 'It is on fire.',
    author: 'ana',
    createdAt: at,
    updatedAt: at,
    commentCount: 0,
    version: 1,
    deleted: false,
  });
  for (let i = 0; i < count; i++) await addComment(conversationId, `comment ${i}`);
  return conversationId;
}

async function addComment(conversationId: string, body: string) {
  const store = new DynamoConversationStore(tables.doc, table, tenantId);
  await store.addComment({
    id: id(),
    conversationId,
    body,
    author: 'bob',
    createdAt: new Date().toISOString(),
    version: 1,
    deleted: false,
  });
}

const commentJob = (conversationId: string, overrides: Partial<Job> = {}): Job => ({
  kind: 'comment',
  tenantId,
  group: 'acme',
  key: `${conversationId}/${id()}`,
  v: 1,
  op: 'insert',
  committedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

function deps(router: Partial<LlmRouter>) {
  const counters = { routerBuilt: 0, calls: 0, shed: [] as string[] };
  const value: SummaryJobDeps = {
    enabled: true,
    resolveTenant: async (tenant) => (tenant === tenantId ? profile : undefined),
    conversations: (tenant) => new DynamoConversationStore(tables.doc, table, tenant.tenantId),
    summaries: (tenant) => new DynamoSummaryStore(tables.doc, table, tenant.tenantId),
    router: async () => {
      counters.routerBuilt++;
      return {
        ...router,
        complete: async (request) => {
          counters.calls++;
          return (router.complete as LlmRouter['complete'])(request);
        },
      } as LlmRouter;
    },
    quota: createTokenQuota(new MemoryTokenLedger(), { free: 0, standard: 1_000_000, enterprise: 1_000_000 }, { now: () => new Date() }),
    now: () => new Date('2026-01-02T00:00:00.000Z'),
    onShed: (reason) => counters.shed.push(reason),
  };
  return { value, counters };
}

const served: Partial<LlmRouter> = {
  complete: async (request) => ({
    completion: { text: `Summary of ${request.messages[1]?.content.length} chars.`, inputTokens: 50, outputTokens: 10, stopReason: 'end' },
    routing: {
      lane: 'background',
      route: 'sim',
      provider: 'openai-compatible',
      model: 'm',
      reason: 'fastest',
      attempts: [],
      latencyMs: 5,
      firstTokenMs: 2,
    },
  }),
};

describe('conversation summary processor', () => {
  it('does no I/O and builds no router for jobs that cannot be due', async () => {
    const { value, counters } = deps(served);
    const poisoned = {
      ...value,
      resolveTenant: async () => {
        throw new Error('must not be called');
      },
    };
    expect(await summarizeAfterComment(commentJob('c', { kind: 'conversation', key: 'c' }), poisoned)).toBe('not-due');
    expect(await summarizeAfterComment(commentJob('c', { op: 'delete' }), poisoned)).toBe('not-due');
    expect(await summarizeAfterComment(commentJob('c'), { ...poisoned, enabled: false })).toBe('not-due');
    expect(counters.routerBuilt).toBe(0);
  });

  it('waits for a few comments, then writes one summary per conversation version next to the conversation', async () => {
    const { value, counters } = deps(served);
    const conversationId = await conversationWithComments(2);
    expect(await summarizeAfterComment(commentJob(conversationId), value)).toBe('not-due');
    await addComment(conversationId, 'third');
    expect(await summarizeAfterComment(commentJob(conversationId), value)).toBe('summarized');
    expect(await summarizeAfterComment(commentJob(conversationId), value)).toBe('up-to-date');
    expect(counters.calls).toBe(1);
    const { Item } = await tables.doc.send(new GetCommand({ TableName: table, Key: shardKeys.summary(tenantId, conversationId) }));
    expect(Item).toMatchObject({ type: 'summary', tenantId, coveredVersion: 4, route: 'sim' });
    expect(Item?.pk).toBe(shardKeys.conversation(tenantId, conversationId).pk);
  });

  it('never replaces a summary of a newer version with one of an older version', async () => {
    const store = new DynamoSummaryStore(tables.doc, table, tenantId);
    const base = { conversationId: id(), generatedAt: '2026-01-01T00:00:00.000Z', route: 'r' };
    expect(await store.put({ ...base, text: 'v5', coveredVersion: 5 })).toBe(true);
    expect(await store.put({ ...base, text: 'v3', coveredVersion: 3 })).toBe(false);
    expect(await store.put({ ...base, text: 'v5 again', coveredVersion: 5 })).toBe(false);
    expect((await store.get(base.conversationId))?.text).toBe('v5');
  });

  it('counts a shed summary instead of failing the job, and regenerates it on the next comment', async () => {
    const shedding: Partial<LlmRouter> = {
      complete: async () => {
        throw new RoutingFailure('background', true, [{ route: 'sim', outcome: 'no-capacity', ms: 0 }], 1);
      },
    };
    const conversationId = await conversationWithComments(3);
    const shed = deps(shedding);
    expect(await summarizeAfterComment(commentJob(conversationId), shed.value)).toBe('background_shed');
    expect(shed.counters.shed).toEqual(['shed']);
    await addComment(conversationId, 'one more');
    expect(await summarizeAfterComment(commentJob(conversationId), deps(served).value)).toBe('summarized');
  });

  it('skips tenants over their token quota without calling a model', async () => {
    const { value, counters } = deps(served);
    const conversationId = await conversationWithComments(3);
    const broke = { ...value, resolveTenant: async () => ({ ...profile, tier: 'free' as const }) };
    expect(await summarizeAfterComment(commentJob(conversationId), broke)).toBe('over-quota');
    expect(counters.calls).toBe(0);
  });

  it('writes summaries the change relay ignores, so they never become jobs', () => {
    const image = { type: 'summary', tenantId, conversationId: 'c', v: 1 };
    expect(
      captureChange({ eventName: 'INSERT', sequenceNumber: '1', approximateCreationTime: '2026-01-01T00:00:00.000Z', newImage: image }),
    ).toBeUndefined();
  });
});
