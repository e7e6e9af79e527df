// In-process shard items for core tests and benchmarks of backfills: the DynamoDB adapter's contract (every
// conversation and comment of one tenant, resumable pages, consistent reads) over a Map.
import {
  CONTENT_KINDS,
  type ShardItem,
  type TenantItemKind,
  type TenantItemPage,
  type TenantItemSource,
} from '../../core/tenancy/tenant-items.js';
import type { TenantId } from '../../core/tenancy/tenancy.js';

const keyOf = (pk: string, sk: string) => `${pk}\u0000${sk}`;

export class MemoryTenantItems implements TenantItemSource {
  private readonly items = new Map<string, ShardItem>();

  put(item: ShardItem): void {
    this.items.set(keyOf(item.pk as string, item.sk as string), { ...item });
  }

  all(): ShardItem[] {
    return [...this.items.values()];
  }

  async get(key: { readonly pk: string; readonly sk: string }): Promise<ShardItem | undefined> {
    const item = this.items.get(keyOf(key.pk, key.sk));
    return item && { ...item };
  }

  async estimate(tenantId: TenantId): Promise<number> {
    return (await this.page(tenantId, undefined, Number.MAX_SAFE_INTEGER)).items.length;
  }

  async page(tenantId: TenantId, cursor: string | undefined, limit: number): Promise<TenantItemPage> {
    const prefix = `T#${tenantId}#`;
    const keys = [...this.items.keys()]
      .filter((key) => key.startsWith(prefix) && CONTENT_KINDS.includes(this.items.get(key)?.type as TenantItemKind))
      .sort();
    const start = cursor === undefined ? 0 : keys.findIndex((key) => key > cursor);
    const slice = start < 0 ? [] : keys.slice(start, start + limit);
    const items = slice.map((key) => ({ ...(this.items.get(key) as ShardItem) }));
    const last = slice.at(-1);
    return start >= 0 && start + limit < keys.length && last ? { items, cursor: last } : { items };
  }
}
