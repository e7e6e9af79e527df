// The ConversationStore contract: every adapter must pass it (DynamoDB on DynamoDB Local, and in-memory).
import { v7 as uuidv7 } from 'uuid';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CommentRecord, ConversationRecord, ConversationStore, IdempotencyClaim } from '../../../lambdas/core/ports.js';

export const conversation = (at: string, overrides: Partial<ConversationRecord> = {}): ConversationRecord => ({
  id: uuidv7(),
  subject: 's',
  body: 'b',
  author: 'a',
  createdAt: at,
  updatedAt: at,
  commentCount: 0,
  version: 1,
  deleted: false,
  ...overrides,
});

export const comment = (conversationId: string, at: string, body = 'c'): CommentRecord => ({
  id: uuidv7(),
  conversationId,
  body,
  author: 'a',
  createdAt: at,
  version: 1,
  deleted: false,
});

const claim = (key: string, requestHash: string, response = '{"r":1}'): IdempotencyClaim => ({
  key,
  requestHash,
  response,
  expiresAt: Math.floor(Date.now() / 1000) + 3600,
});

export function conversationStoreContract(adapter: string, setup: () => Promise<(tenantId: string) => ConversationStore>): void {
  describe(`${adapter} honours the ConversationStore contract`, () => {
    let store: (tenantId: string) => ConversationStore;
    beforeAll(async () => {
      store = await setup();
    });

    it('bumps the conversation version and moves it up the listing with every comment', async () => {
      const s = store('bumps');
      const c = conversation('2026-01-01T00:00:00.000Z');
      await s.createConversation(c);
      await s.addComment(comment(c.id, '2026-01-01T00:00:01.000Z'));
      await s.addComment(comment(c.id, '2026-01-01T00:00:02.000Z'));
      const stored = await s.getConversation(c.id);
      expect(stored).toMatchObject({ version: 3, commentCount: 2, updatedAt: '2026-01-01T00:00:02.000Z' });
    });

    it('refuses comments on a missing or deleted conversation and writes nothing', async () => {
      const s = store('missing');
      expect(await s.addComment(comment(uuidv7(), '2026-01-01T00:00:00.000Z'))).toEqual({ kind: 'conversation-missing' });
      const c = conversation('2026-01-01T00:00:00.000Z');
      await s.createConversation(c);
      expect(await s.softDeleteConversation(c.id, '2026-01-01T00:00:01.000Z')).toBe(true);
      expect(await s.addComment(comment(c.id, '2026-01-01T00:00:02.000Z'))).toEqual({ kind: 'conversation-missing' });
      expect((await s.listComments(c.id, 10)).items).toHaveLength(0);
    });

    it('soft-deletes as a versioned tombstone that stays in the table but leaves the listing', async () => {
      const s = store('tombstones');
      const c = conversation('2026-01-01T00:00:00.000Z');
      await s.createConversation(c);
      await s.softDeleteConversation(c.id, '2026-01-01T00:00:05.000Z');
      expect(await s.getConversation(c.id)).toMatchObject({ deleted: true, version: 2 });
      expect((await s.listConversations(10)).items).toHaveLength(0);
      expect(await s.softDeleteConversation(c.id, '2026-01-01T00:00:06.000Z')).toBe(true);
      expect(await s.getConversation(c.id)).toMatchObject({ version: 2 });
      expect(await s.softDeleteConversation(uuidv7(), '2026-01-01T00:00:06.000Z')).toBe(false);
    });

    it('pages through every conversation across all buckets, newest first, each exactly once', async () => {
      const s = store('paging');
      const created: ConversationRecord[] = [];
      for (let i = 0; i < 45; i++) {
        const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
        created.push(conversation(at));
      }
      await Promise.all(created.map((c) => s.createConversation(c)));
      await s.softDeleteConversation(created[10]!.id, created[10]!.updatedAt);
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await s.listConversations(7, after);
        seen.push(...page.items.map((c) => c.id));
        after = page.next;
        pages++;
      } while (after);
      const expected = created
        .filter((_, i) => i !== 10)
        .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
        .map((c) => c.id);
      expect(seen).toEqual(expected);
      expect(pages).toBe(7);
    });

    it('pages comments oldest first with a position', async () => {
      const s = store('comments');
      const c = conversation('2026-01-01T00:00:00.000Z');
      await s.createConversation(c);
      const written: string[] = [];
      for (let i = 0; i < 5; i++) {
        const m = comment(c.id, `2026-01-01T00:00:0${i + 1}.000Z`, `m${i}`);
        written.push(m.id);
        await s.addComment(m);
      }
      const first = await s.listComments(c.id, 3);
      const second = await s.listComments(c.id, 3, first.next);
      expect([...first.items, ...second.items].map((m) => m.id)).toEqual(written);
      expect(second.next).toBeUndefined();
    });

    it('never shows one tenant another tenant’s data', async () => {
      const c = conversation('2026-01-01T00:00:00.000Z');
      await store('alpha').createConversation(c);
      expect(await store('beta').getConversation(c.id)).toBeUndefined();
      expect(await store('beta').addComment(comment(c.id, '2026-01-01T00:00:01.000Z'))).toEqual({ kind: 'conversation-missing' });
      expect(await store('beta').softDeleteConversation(c.id, '2026-01-01T00:00:01.000Z')).toBe(false);
      expect((await store('beta').listConversations(100)).items).toHaveLength(0);
      expect(await store('alpha').getConversation(c.id)).toMatchObject({ version: 1, deleted: false });
    });

    describe('idempotency claims', () => {
      it('commits a change with its key once; a retry of the same request replays, another request is refused', async () => {
        const s = store('idem');
        const first = conversation('2026-01-01T00:00:00.000Z');
        expect(await s.createConversation(first, claim('k1', 'h1', '{"first":true}'))).toEqual({ kind: 'written' });
        const retry = conversation('2026-01-01T00:00:01.000Z');
        expect(await s.createConversation(retry, claim('k1', 'h1'))).toEqual({ kind: 'replay', response: '{"first":true}' });
        expect(await s.createConversation(conversation('2026-01-01T00:00:02.000Z'), claim('k1', 'h2'))).toEqual({ kind: 'key-reused' });
        expect(await s.getConversation(retry.id)).toBeUndefined();
        expect((await s.listConversations(10)).items.map((c) => c.id)).toEqual([first.id]);
      });

      it('lets exactly one of many concurrent requests with the same key write', async () => {
        const s = store('idem-race');
        const attempts = Array.from({ length: 10 }, (_, i) => conversation(`2026-01-01T00:00:0${i}.000Z`));
        const outcomes = await Promise.all(
          attempts.map((c) => s.createConversation(c, claim('race', 'same', JSON.stringify({ id: c.id })))),
        );
        expect(outcomes.filter((o) => o.kind === 'written')).toHaveLength(1);
        expect(outcomes.filter((o) => o.kind === 'replay')).toHaveLength(9);
        expect((await s.listConversations(100)).items).toHaveLength(1);
      });

      it('accepts a key again once its record has expired', async () => {
        const s = store('idem-expiry');
        const expired = { ...claim('old', 'h1'), expiresAt: Math.floor(Date.now() / 1000) - 1 };
        await s.createConversation(conversation('2026-01-01T00:00:00.000Z'), expired);
        expect(await s.createConversation(conversation('2026-01-01T00:00:01.000Z'), claim('old', 'h2'))).toEqual({ kind: 'written' });
      });

      it('keys a comment claim to its conversation change atomically', async () => {
        const s = store('idem-comment');
        const c = conversation('2026-01-01T00:00:00.000Z');
        await s.createConversation(c);
        expect(await s.addComment(comment(c.id, '2026-01-01T00:00:01.000Z'), claim('ck', 'h', '{"c":1}'))).toEqual({ kind: 'written' });
        expect(await s.addComment(comment(c.id, '2026-01-01T00:00:02.000Z'), claim('ck', 'h'))).toEqual({
          kind: 'replay',
          response: '{"c":1}',
        });
        expect(await s.getConversation(c.id)).toMatchObject({ version: 2, commentCount: 1 });
      });
    });
  });
}
