// One tenant's source of truth as id + version + tombstone, and the re-read of ids that differed, as both the
// index migration's verifier and the derived-data reconciler compare them: one definition of "the same document",
// so a tenant a migration verified is a tenant the reconciler finds equal, and the other way round.
import { shardKeys } from '../../schema.js';
import { toSearchDocument, type Generation, type SearchIndex, type VersionEntry } from '../search/search-index.js';
import type { ShardItem, TenantItemSource } from '../tenancy/tenant-items.js';
import type { TenantId } from '../tenancy/tenancy.js';
import { compareVersions, latestById, type Comparison } from './version-diff.js';

export interface SourceScanOptions {
  /** @default 1000 */
  readonly pageSize?: number;
  /** Sees every page as read (pacing, other views computed from the same read). */
  readonly onPage?: (items: readonly ShardItem[]) => Promise<void>;
}

/** Source of truth for one tenant as id + version, read fully from its shard. */
export async function sourceVersions(
  items: TenantItemSource,
  tenantId: TenantId,
  options: SourceScanOptions = {},
): Promise<VersionEntry[]> {
  const entries: VersionEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await items.page(tenantId, cursor, options.pageSize ?? 1000);
    for (const item of page.items) {
      const doc = toSearchDocument(item);
      if (doc) entries.push({ id: doc.id, v: doc.v, deleted: doc.deleted });
    }
    await options.onPage?.(page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return latestById(entries);
}

/** The shard key of a search document's item (`<conversationId>` or `<conversationId>/<commentId>`). */
export function documentItemKey(tenantId: TenantId, documentId: string): { pk: string; sk: string } {
  const [conversationId, commentId] = documentId.split('/') as [string, string | undefined];
  return commentId === undefined
    ? shardKeys.conversation(tenantId, conversationId)
    : shardKeys.comment(tenantId, conversationId, commentId);
}

/** The source items of the given document ids, read again (strongly consistent), in order. */
export const rereadSource = (items: TenantItemSource, tenantId: TenantId, ids: readonly string[]): Promise<(ShardItem | undefined)[]> =>
  Promise.all(ids.map((id) => items.get(documentItemKey(tenantId, id))));

/** The given ids compared again: the source items as just re-read, the generation's versions read now. */
export async function recheckVersions(
  search: Pick<SearchIndex, 'versionsOf'>,
  generation: Generation,
  tenantId: TenantId,
  ids: readonly string[],
  source: readonly (ShardItem | undefined)[],
): Promise<Map<string, Comparison>> {
  const target = new Map((await search.versionsOf(generation, tenantId, ids)).map((entry) => [entry.id, entry]));
  return new Map(
    ids.map((id, i) => {
      const doc = source[i] && toSearchDocument(source[i]);
      return [id, compareVersions(doc ? { id, v: doc.v, deleted: doc.deleted } : undefined, target.get(id))];
    }),
  );
}
