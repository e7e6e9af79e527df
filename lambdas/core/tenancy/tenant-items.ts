// Enumerating one tenant's items on a shard, for backfills (search generations, tenant moves). An enumeration is
// a snapshot of nothing: items changed while it runs may be seen old, new or (if their listing position moved)
// not at all, which is safe only because every migration turns dual-write / catch-up on BEFORE it enumerates,
// so any change during the scan also arrives through the change stream, version-guarded.
import type { TenantId } from './tenancy.js';

/** A raw shard-table item: all attributes, including pk, sk, type, tenantId, v and deleted. */
export type ShardItem = Readonly<Record<string, unknown>>;

export interface TenantItemPage {
  readonly items: ShardItem[];
  /** Absent when the enumeration is complete. */
  readonly cursor?: string;
}

/** Every conversation and comment of one tenant on one shard, in pages, resumable from an opaque cursor. */
export interface TenantItemSource {
  page(tenantId: TenantId, cursor: string | undefined, limit: number): Promise<TenantItemPage>;
  /** One item by key, strongly consistent. */
  get(key: { readonly pk: string; readonly sk: string }): Promise<ShardItem | undefined>;
  /**
   * Roughly how many conversations and comments the tenant has here, read far more cheaply than enumerating them:
   * the total a backfill's progress is measured against, never an input to a decision.
   */
  estimate(tenantId: TenantId): Promise<number>;
}
