// Enumerating one tenant's items on a shard, for backfills (search generations, tenant moves). An enumeration is
// a snapshot of nothing: items changed while it runs may be seen old, new or (if their listing position moved)
// not at all, which is safe only because every migration turns dual-write / catch-up on BEFORE it enumerates,
// so any change during the scan also arrives through the change stream, version-guarded.
import type { TenantId } from './tenancy.js';

/** A raw shard-table item: all attributes, including pk, sk, type, tenantId, v and deleted. */
export type ShardItem = Readonly<Record<string, unknown>>;

/**
 * Everything a tenant owns on its shard, by the items' `type`: its content (conversations, comments), the summaries
 * derived from it and the idempotency keys committed with it. Placement markers belong to the shard, not the tenant.
 */
export const TENANT_ITEM_KINDS = ['conversation', 'comment', 'summary', 'idempotency'] as const;
export type TenantItemKind = (typeof TENANT_ITEM_KINDS)[number];

/** The tenant's content: what search indexes, what the listing index finds, what `estimate` counts. */
export const CONTENT_KINDS: readonly TenantItemKind[] = ['conversation', 'comment'];

export const tenantItemKind = (item: ShardItem): TenantItemKind | undefined => TENANT_ITEM_KINDS.find((kind) => kind === item.type);

/** Items counted per kind; a kind never seen is absent. */
export type ItemCounts = Readonly<Partial<Record<TenantItemKind, number>>>;

/** `counts` plus `items`, per kind. */
export function countKinds(counts: ItemCounts, items: readonly ShardItem[]): ItemCounts {
  const next: Partial<Record<TenantItemKind, number>> = { ...counts };
  for (const item of items) {
    const kind = tenantItemKind(item);
    if (kind) next[kind] = (next[kind] ?? 0) + 1;
  }
  return next;
}

export interface TenantItemPage {
  readonly items: ShardItem[];
  /** Absent when the enumeration is complete. */
  readonly cursor?: string;
}

/**
 * One tenant's items on one shard, in pages, resumable from an opaque cursor. Which kinds is the source's part of
 * the contract: the listing-index walk (search backfills) yields the tenant's content, the move's Scan everything the
 * tenant owns (TENANT_ITEM_KINDS), since a move that left idempotency keys behind would turn retries into duplicates.
 */
export interface TenantItemSource {
  page(tenantId: TenantId, cursor: string | undefined, limit: number): Promise<TenantItemPage>;
  /** One item by key, strongly consistent. */
  get(key: { readonly pk: string; readonly sk: string }): Promise<ShardItem | undefined>;
  /**
   * Roughly how many conversations and comments (CONTENT_KINDS) the tenant has here, read far more cheaply than
   * enumerating them: the total a backfill's progress is measured against, never an input to a decision.
   */
  estimate(tenantId: TenantId): Promise<number>;
}
