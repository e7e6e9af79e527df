// The search port. A search index holds generations (an OpenSearch index, an SQLite table pair); every document
// carries the source-of-truth version `v`, and a write with an older `v` than the stored one is refused
// (`stale`), so replays, late jobs and backfills can never roll a document back. Deletes are tombstones,
// never physical deletes, so an old write arriving after a delete cannot resurrect the document.
import * as z from 'zod';
import type { TenantId } from '../tenancy/tenancy.js';

/** A search index generation: `g1`, `g2`, … */
export type Generation = string;
export const generationSchema = z.string().regex(/^g[0-9]{1,6}$/, 'generations look like g<number>, e.g. g2');

export type SearchDocumentKind = 'conversation' | 'comment';

export interface SearchDocument {
  readonly tenantId: TenantId;
  /** `<conversationId>` or `<conversationId>/<commentId>`, the job key. */
  readonly id: string;
  readonly kind: SearchDocumentKind;
  readonly conversationId: string;
  readonly v: number;
  readonly deleted: boolean;
  /** Conversations only. */
  readonly subject: string;
  readonly body: string;
  readonly author: string;
  readonly updatedAt: string;
}

export type BulkResult = 'applied' | 'stale';

export interface SearchHit {
  readonly id: string;
  readonly kind: SearchDocumentKind;
  readonly conversationId: string;
  readonly score: number;
  /** A short excerpt with matches wrapped in `<mark>…</mark>`; all other text is HTML-escaped. */
  readonly highlight: string;
  readonly updatedAt: string;
}

export interface SearchPage {
  readonly hits: SearchHit[];
  /** Opaque position after the last hit, when more may follow. */
  readonly next?: string;
}

export interface VersionEntry {
  readonly id: string;
  readonly v: number;
  readonly deleted: boolean;
}

/** Engine-specific index settings for a new generation (validated by each adapter). */
export const searchMappingSchema = z.strictObject({
  /** OpenSearch index `settings` and `mappings` (merged over the defaults). */
  opensearch: z
    .strictObject({ settings: z.record(z.string(), z.unknown()).optional(), mappings: z.record(z.string(), z.unknown()).optional() })
    .optional(),
  /** SQLite FTS5 tokenizer for the embedded engine. */
  sqlite: z.strictObject({ tokenize: z.enum(['unicode61', 'unicode61 remove_diacritics 2', 'porter unicode61', 'trigram']) }).optional(),
});
export type SearchMapping = z.infer<typeof searchMappingSchema>;

/** Search over tenant-partitioned generations; every read and write names its tenant. */
export interface SearchIndex {
  /** Creates the generation if it does not exist (idempotent). */
  ensureGeneration(generation: Generation, mapping?: SearchMapping): Promise<void>;
  /** Upserts documents (tombstones included), version-guarded; one result per document, in order. */
  bulkUpsert(generation: Generation, documents: readonly SearchDocument[]): Promise<BulkResult[]>;
  /**
   * Ranked, highlighted hits of one tenant for `query`, taken as plain words (no query syntax). Never returns a
   * tombstone, nor a comment of a deleted conversation.
   */
  search(generation: Generation, tenantId: TenantId, query: string, limit: number, after?: string): Promise<SearchPage>;
  /** Live (not deleted) documents of one tenant. */
  count(generation: Generation, tenantId: TenantId): Promise<number>;
  /** Every document of one tenant (tombstones included) as id + version, sorted by id. */
  scanVersions(generation: Generation, tenantId: TenantId): Promise<VersionEntry[]>;
  /** The given ids of one tenant as id + version (for re-checks); missing ids are absent from the result. */
  versionsOf(generation: Generation, tenantId: TenantId, ids: readonly string[]): Promise<VersionEntry[]>;
  dropGeneration(generation: Generation): Promise<void>;
}

/** Marks the engines put around matches; replaced by `<mark>` after HTML-escaping, so stored text can never inject markup. */
export const MATCH_START = '\uE000';
export const MATCH_END = '\uE001';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function renderHighlight(marked: string): string {
  return marked
    .replace(/[&<>"']/g, (char) => ESCAPES[char] as string)
    .replaceAll(MATCH_START, '<mark>')
    .replaceAll(MATCH_END, '</mark>');
}

/** The searchable document for a shard item, or undefined for items that are not searchable. */
export function toSearchDocument(item: Readonly<Record<string, unknown>>): SearchDocument | undefined {
  if (item.type !== 'conversation' && item.type !== 'comment') return undefined;
  const conversationId = (item.type === 'comment' ? item.conversationId : item.id) as string;
  const deleted = item.deleted === true;
  return {
    tenantId: item.tenantId as TenantId,
    id: item.type === 'comment' ? `${conversationId}/${item.id as string}` : conversationId,
    kind: item.type,
    conversationId,
    v: item.v as number,
    deleted,
    // A tombstone keeps no text: deleted content must not stay searchable anywhere.
    subject: deleted || item.type === 'comment' ? '' : ((item.subject as string | undefined) ?? ''),
    body: deleted ? '' : ((item.body as string | undefined) ?? ''),
    author: deleted ? '' : ((item.author as string | undefined) ?? ''),
    updatedAt: (item.updatedAt as string | undefined) ?? (item.createdAt as string),
  };
}

/** Search terms: the query split on whitespace, empty parts dropped, at most this many (the rest are ignored). */
export const MAX_QUERY_TERMS = 32;

export function queryTerms(query: string): string[] {
  return query
    .split(/\s+/u)
    .filter((term) => term.length > 0)
    .slice(0, MAX_QUERY_TERMS);
}
