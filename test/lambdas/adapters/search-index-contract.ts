// The SearchIndex contract: every adapter must pass it (SQLite FTS5 always; OpenSearch when OPENSEARCH_URL names a
// real cluster). `settle` makes writes visible to searches (OpenSearch refreshes near-real-time).
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SearchDocument, SearchIndex } from '../../../lambdas/core/search/search-index.js';
import type { TenantId } from '../../../lambdas/core/tenancy/tenancy.js';

export const searchDoc = (tenantId: string, overrides: Partial<SearchDocument> = {}): SearchDocument => {
  const id = overrides.id ?? randomUUID();
  return {
    tenantId: tenantId as TenantId,
    id,
    kind: 'conversation',
    conversationId: id,
    v: 1,
    deleted: false,
    subject: 'subject',
    body: 'body',
    author: 'ann',
    updatedAt: '2026-11-26T10:00:00.000Z',
    ...overrides,
  };
};

const tombstone = (doc: SearchDocument, v: number): SearchDocument => ({ ...doc, v, deleted: true, subject: '', body: '', author: '' });

export function searchIndexContract(adapter: string, setup: () => Promise<{ index: SearchIndex; settle: () => Promise<void> }>): void {
  describe(`${adapter} honours the SearchIndex contract`, () => {
    let index: SearchIndex;
    let settle: () => Promise<void>;
    const generation = `g${Math.floor(Math.random() * 900_000) + 100}`;
    const tenant = (name: string) => `${name}-${randomUUID().slice(0, 8)}` as TenantId;

    beforeAll(async () => {
      ({ index, settle } = await setup());
      await index.ensureGeneration(generation);
      await index.ensureGeneration(generation);
    });

    it('applies a newer version and refuses an equal or older one as stale', async () => {
      const t = tenant('versions');
      const doc = searchDoc(t, { v: 3, body: 'third' });
      expect(await index.bulkUpsert(generation, [doc])).toEqual(['applied']);
      expect(
        await index.bulkUpsert(generation, [
          { ...doc, v: 2, body: 'second' },
          { ...doc, v: 3 },
          { ...doc, v: 4, body: 'fourth' },
        ]),
      ).toEqual(['stale', 'stale', 'applied']);
      await settle();
      expect(await index.scanVersions(generation, t)).toEqual([{ id: doc.id, v: 4, deleted: false }]);
      expect((await index.search(generation, t, 'fourth', 10)).hits.map((hit) => hit.id)).toEqual([doc.id]);
      expect((await index.search(generation, t, 'second', 10)).hits).toEqual([]);
    });

    it('a tombstone hides the document, and an older write arriving after the delete cannot resurrect it', async () => {
      const t = tenant('tombstones');
      const doc = searchDoc(t, { body: 'refund request' });
      await index.bulkUpsert(generation, [doc]);
      expect(await index.bulkUpsert(generation, [tombstone(doc, 2)])).toEqual(['applied']);
      expect(await index.bulkUpsert(generation, [doc])).toEqual(['stale']);
      await settle();
      expect((await index.search(generation, t, 'refund', 10)).hits).toEqual([]);
      expect(await index.count(generation, t)).toBe(0);
      expect(await index.scanVersions(generation, t)).toEqual([{ id: doc.id, v: 2, deleted: true }]);
    });

    it('a tenant never sees another tenant’s hits, even with a look-alike id', async () => {
      const base = tenant('acme');
      const lookAlike = `${base}-corp` as TenantId;
      await index.bulkUpsert(generation, [searchDoc(base, { body: 'invoice overdue' }), searchDoc(lookAlike, { body: 'invoice overdue' })]);
      await settle();
      const mine = await index.search(generation, base, 'invoice', 10);
      expect(mine.hits).toHaveLength(1);
      expect((await index.scanVersions(generation, base)).map((entry) => entry.id)).toEqual(mine.hits.map((hit) => hit.id));
      expect(await index.count(generation, lookAlike)).toBe(1);
    });

    it('ranks a subject match above a body-only match and highlights matches in escaped text', async () => {
      const t = tenant('ranking');
      const inSubject = searchDoc(t, { subject: 'Printer broken', body: 'since Monday the <b>device</b> fails' });
      const inBody = searchDoc(t, { subject: 'Question', body: 'the printer <script>x</script> is slow' });
      await index.bulkUpsert(generation, [inBody, inSubject]);
      await settle();
      const { hits } = await index.search(generation, t, 'printer', 10);
      expect(hits.map((hit) => hit.id)).toEqual([inSubject.id, inBody.id]);
      expect(hits[0]?.score).toBeGreaterThan(hits[1]?.score ?? Infinity);
      const bodyHit = hits[1]?.highlight ?? '';
      expect(bodyHit).toContain('<mark>printer</mark>');
      expect(bodyHit).not.toContain('<script>');
      expect(bodyHit).toContain('&lt;script&gt;');
    });

    it('pages through every hit exactly once with the returned position', async () => {
      const t = tenant('paging');
      const docs = Array.from({ length: 23 }, (_, i) => searchDoc(t, { body: `shipping delay ${'word '.repeat(i % 5)}` }));
      await index.bulkUpsert(generation, docs);
      await settle();
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await index.search(generation, t, 'shipping', 5, after);
        expect(page.hits.length).toBeLessThanOrEqual(5);
        seen.push(...page.hits.map((hit) => hit.id));
        after = page.next;
      } while (after);
      expect(seen.sort()).toEqual(docs.map((doc) => doc.id).sort());
    });

    it('treats any text as plain words: query syntax, quotes, emoji and 10 KB strings never fail', async () => {
      const t = tenant('hostile');
      await index.bulkUpsert(generation, [searchDoc(t, { body: 'AND OR NOT near the "quoted" word 🔥 fire' })]);
      await settle();
      const queries = [
        '"',
        'a"b',
        'AND',
        'NOT OR',
        'NEAR(a b)',
        'body:fire',
        '*',
        'fi*',
        '(',
        ')',
        '{subject}:x',
        '^',
        '-fire',
        '🔥',
        "' OR 1=1 --",
        'x'.repeat(10_240),
        '\\',
        '~2',
        '[]',
      ];
      for (const query of queries) await expect(index.search(generation, t, query, 5)).resolves.toHaveProperty('hits');
      expect((await index.search(generation, t, 'quoted', 5)).hits).toHaveLength(1);
      expect((await index.search(generation, t, '   ', 5)).hits).toEqual([]);
    });

    it('never returns a comment of a deleted conversation', async () => {
      const t = tenant('orphans');
      const parent = searchDoc(t, { subject: 'parent', body: 'nothing' });
      const child = searchDoc(t, {
        id: `${parent.id}/${randomUUID()}`,
        kind: 'comment',
        conversationId: parent.id,
        subject: '',
        body: 'warranty claim',
      });
      await index.bulkUpsert(generation, [parent, child]);
      await settle();
      expect((await index.search(generation, t, 'warranty', 5)).hits.map((hit) => hit.kind)).toEqual(['comment']);
      await index.bulkUpsert(generation, [tombstone(parent, 2)]);
      await settle();
      expect((await index.search(generation, t, 'warranty', 5)).hits).toEqual([]);
    });

    it('lists versions sorted by id and looks up chosen ids', async () => {
      const t = tenant('scan');
      const docs = Array.from({ length: 7 }, (_, i) => searchDoc(t, { v: i + 1 }));
      await index.bulkUpsert(generation, docs);
      await settle();
      const expected = docs.map((doc) => ({ id: doc.id, v: doc.v, deleted: false })).sort((a, b) => (a.id < b.id ? -1 : 1));
      expect(await index.scanVersions(generation, t)).toEqual(expected);
      const some = [docs[2]?.id as string, 'missing-id'];
      expect(await index.versionsOf(generation, t, some)).toEqual([{ id: docs[2]?.id, v: 3, deleted: false }]);
    });

    it('drops a generation and can create it again, empty', async () => {
      const scratch = `g${Math.floor(Math.random() * 900_000) + 100}`;
      const t = tenant('drop');
      await index.ensureGeneration(scratch);
      await index.bulkUpsert(scratch, [searchDoc(t)]);
      await index.dropGeneration(scratch);
      await index.dropGeneration(scratch);
      await index.ensureGeneration(scratch);
      await settle();
      expect(await index.scanVersions(scratch, t)).toEqual([]);
      await index.dropGeneration(scratch);
    });
  });
}
