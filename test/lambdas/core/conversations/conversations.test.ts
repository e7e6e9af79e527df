import { describe, expect, it } from 'vitest';
import { MemoryConversationData } from '../../../../lambdas/adapters/memory/memory-conversation-store.js';
import { conversationService } from '../../../../lambdas/core/conversations/conversations.js';
import { createCursorCodec } from '../../../../lambdas/core/conversations/cursor.js';
import { Problem } from '../../../../lambdas/core/problems.js';
import type { TenantContext, TenantId } from '../../../../lambdas/core/tenancy/tenancy.js';

const tenant: TenantContext = { tenantId: 'acme' as TenantId, shard: 'shard-0', epoch: 1, group: 'acme', tier: 'standard' };
const input = { subject: 'Printer', body: 'On fire', author: 'ana' };

function fixture() {
  let tick = 0;
  let next = 0;
  const outcomes: string[] = [];
  const data = new MemoryConversationData();
  const service = conversationService({
    tenant,
    store: data.forTenant(tenant.tenantId),
    clock: { now: () => new Date(Date.UTC(2026, 0, 1) + tick++ * 1000) },
    ids: { next: () => `00000000-0000-7000-8000-${String(next++).padStart(12, '0')}` },
    cursors: async () => createCursorCodec('test-key-test-key'),
    idempotencyTtlSeconds: 3600,
    flags: { getBooleanValue: async (_key: string, fallback: boolean) => fallback },
    outcomes: {
      conversationCreated: (id) => outcomes.push(`conversation:${id}`),
      commentCreated: (id) => outcomes.push(`comment:${id}`),
    },
  });
  return { service, outcomes };
}

async function problemOf(promise: Promise<unknown>): Promise<Problem> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Problem)) throw new Error(`expected a Problem, got ${String(error)}`);
  return error;
}

describe('conversation service', () => {
  it('creates version 1 and records one heartbeat outcome per committed create', async () => {
    const { service, outcomes } = fixture();
    const created = await service.create(input);
    expect(created).toMatchObject({ replayed: false, value: { version: 1, commentCount: 0, subject: 'Printer' } });
    await service.addComment(created.value.id, { body: 'x', author: 'y' });
    expect(outcomes).toEqual(['conversation:acme', 'comment:acme']);
  });

  it('replays an idempotent retry without a second heartbeat and refuses a changed body', async () => {
    const { service, outcomes } = fixture();
    const first = await service.create(input, 'key');
    const again = await service.create(input, 'key');
    expect(again).toEqual({ value: first.value, replayed: true });
    expect(outcomes).toHaveLength(1);
    expect((await problemOf(service.create({ ...input, body: 'different' }, 'key'))).status).toBe(422);
  });

  it('treats the same key on another route as a different request', async () => {
    const { service } = fixture();
    const conversation = await service.create(input, 'k');
    expect((await problemOf(service.addComment(conversation.value.id, { body: 'x', author: 'y' }, 'k'))).slug).toBe(
      'idempotency-key-reused',
    );
  });

  it('answers not-found for comments on unknown or deleted conversations and for deleted gets', async () => {
    const { service, outcomes } = fixture();
    expect((await problemOf(service.addComment('00000000-0000-7000-8000-999999999999', { body: 'x', author: 'y' }))).status).toBe(404);
    const conversation = await service.create(input);
    await service.remove(conversation.value.id);
    expect((await problemOf(service.get(conversation.value.id, 10))).status).toBe(404);
    expect((await problemOf(service.addComment(conversation.value.id, { body: 'x', author: 'y' }))).status).toBe(404);
    expect((await problemOf(service.remove('00000000-0000-7000-8000-999999999999'))).status).toBe(404);
    expect(outcomes).toEqual(['conversation:acme']);
  });

  it('issues cursors that page to the end and are refused on another list', async () => {
    const { service } = fixture();
    for (let i = 0; i < 3; i++) await service.create({ ...input, subject: `s${i}` });
    const first = await service.list(2);
    expect(first.items.map((c) => c.subject)).toEqual(['s2', 's1']);
    const second = await service.list(2, first.nextCursor ?? undefined);
    expect(second.items.map((c) => c.subject)).toEqual(['s0']);
    expect(second.nextCursor).toBeNull();
    const conversation = first.items[0]!;
    expect((await problemOf(service.get(conversation.id, 10, first.nextCursor ?? undefined))).slug).toBe('invalid-cursor');
  });
});
