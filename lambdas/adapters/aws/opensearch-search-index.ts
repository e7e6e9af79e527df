// Search on an Amazon OpenSearch Service domain: one index per generation, `routing = tenantId` on every request
// (a tenant's documents live on one shard, and every read and write names its tenant), external versioning with
// the item's `v` (OpenSearch refuses an older version with 409, which is "stale", not an error), and tombstones
// instead of deletes (a versioned delete is forgotten after `gc_deletes`, after which an old write resurrects).
// Every request names its index in the path, never in the body: the domain refuses explicit indexes in bodies, so
// an identity policy on the generation indexes is all a caller can reach. A write to a generation that was dropped
// fails rather than re-creating it: auto-creation is off for the generation indexes.
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Problem } from '../../core/problems.js';
import {
  generationSchema,
  MATCH_END,
  MATCH_START,
  queryTerms,
  renderHighlight,
  searchMappingSchema,
  type BulkResult,
  type Generation,
  type SearchDocument,
  type SearchHit,
  type SearchIndex,
  type SearchMapping,
  type SearchPage,
  type VersionEntry,
} from '../../core/search/search-index.js';
import type { TenantId } from '../../core/tenancy/tenancy.js';

type Body = Record<string, unknown>;

export interface OpenSearchIndexOptions {
  /** Index names are `<prefix>-<generation>`. */
  readonly indexPrefix: string;
  readonly shards: number;
  readonly replicas: number;
  /** Bulk items refused with 429 are retried this many times, with exponential backoff from `backoffMs`. */
  readonly retries?: number;
  readonly backoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A client signed with SigV4 for an OpenSearch Service domain endpoint. */
export function signedOpenSearchClient(endpoint: string, region: string): Client {
  return new Client({
    ...AwsSigv4Signer({ region, service: 'es', getCredentials: fromNodeProviderChain() }),
    node: endpoint,
  });
}

const DEFAULT_MAPPINGS = {
  dynamic: 'strict' as const,
  properties: {
    tenantId: { type: 'keyword' },
    id: { type: 'keyword' },
    kind: { type: 'keyword' },
    conversationId: { type: 'keyword' },
    v: { type: 'long' },
    deleted: { type: 'boolean' },
    subject: { type: 'text' },
    body: { type: 'text' },
    author: { type: 'text' },
    updatedAt: { type: 'date' },
  },
};

const docId = (tenantId: string, id: string): string => `${tenantId}:${id}`;

export class OpenSearchSearchIndex implements SearchIndex {
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: Client,
    private readonly options: OpenSearchIndexOptions,
  ) {
    this.retries = options.retries ?? 5;
    this.backoffMs = options.backoffMs ?? 100;
    this.sleep = options.sleep ?? sleep;
  }

  async ensureGeneration(generation: Generation, mapping: SearchMapping = {}): Promise<void> {
    const index = this.index(generation);
    const custom = searchMappingSchema.parse(mapping).opensearch ?? {};
    const exists = await this.client.indices.exists({ index });
    if (exists.body === true) return;
    await this.refuseAutoCreation();
    try {
      await this.client.indices.create({
        index,
        body: {
          settings: { number_of_shards: this.options.shards, number_of_replicas: this.options.replicas, ...custom.settings },
          // The client's mapping types are stricter than the JSON OpenSearch accepts; custom mappings come from operators.
          mappings: { ...DEFAULT_MAPPINGS, ...custom.mappings } as never,
        },
      });
    } catch (error) {
      // Two instances creating the same generation at once: the loser finds it created.
      if (errorType(error) !== 'resource_already_exists_exception') throw error;
    }
  }

  async bulkUpsert(generation: Generation, documents: readonly SearchDocument[]): Promise<BulkResult[]> {
    const index = this.index(generation);
    const results: (BulkResult | undefined)[] = documents.map(() => undefined);
    let pending = documents.map((_, position) => position);
    for (let attempt = 0; pending.length > 0; attempt++) {
      const body = pending.flatMap((position) => {
        const doc = documents[position] as SearchDocument;
        return [
          { index: { _id: docId(doc.tenantId, doc.id), routing: doc.tenantId, version: doc.v, version_type: 'external' } },
          { ...doc },
        ];
      });
      const response = await this.client.bulk({ index, body });
      const items = (response.body as { items: { index: { status: number; error?: { type: string; reason?: string } } }[] }).items;
      const throttled: number[] = [];
      const failures: string[] = [];
      items.forEach((item, i) => {
        const position = pending[i] as number;
        const { status, error } = item.index;
        if (status >= 200 && status < 300) results[position] = 'applied';
        else if (status === 409) results[position] = 'stale';
        else if (status === 429) throttled.push(position);
        else failures.push(`${documents[position]?.id}: ${status} ${error?.type ?? ''} ${error?.reason ?? ''}`.trim());
      });
      if (failures.length > 0) throw new Error(`OpenSearch refused ${failures.length} document(s): ${failures.slice(0, 5).join('; ')}`);
      if (throttled.length > 0 && attempt >= this.retries)
        throw new Error(`OpenSearch kept throttling ${throttled.length} document(s) after ${this.retries} retries`);
      if (throttled.length > 0) await this.sleep(this.backoffMs * 2 ** attempt * (0.5 + Math.random() / 2));
      pending = throttled;
    }
    return results as BulkResult[];
  }

  async search(generation: Generation, tenantId: TenantId, query: string, limit: number, after?: string): Promise<SearchPage> {
    const index = this.index(generation);
    const terms = queryTerms(query);
    if (terms.length === 0) return { hits: [] };
    const response = await this.client.search({
      index,
      routing: tenantId,
      body: {
        size: limit + 1,
        query: {
          bool: {
            filter: [{ term: { tenantId } }, { term: { deleted: false } }],
            // A match query analyses text and never parses query syntax, so any input is a valid query.
            must: [{ multi_match: { query: terms.join(' '), fields: ['subject^4', 'body', 'author^0.5'], operator: 'and' } }],
          },
        },
        sort: [{ _score: 'desc' }, { id: 'asc' }],
        ...(after === undefined ? {} : { search_after: JSON.parse(after) as (string | number)[] }),
        _source: ['id', 'kind', 'conversationId', 'updatedAt'],
        highlight: {
          pre_tags: [MATCH_START],
          post_tags: [MATCH_END],
          fields: { body: { number_of_fragments: 1, fragment_size: 160 }, subject: { number_of_fragments: 0 } },
        },
      },
    });
    type RawHit = { _score: number; sort: unknown[]; _source: Body; highlight?: Record<string, string[]> };
    const raw = (response.body as { hits: { hits: RawHit[] } }).hits.hits;
    const page = raw.slice(0, limit);
    const deletedConversations = await this.deletedConversations(
      index,
      tenantId,
      page.filter((hit) => hit._source.kind === 'comment').map((hit) => hit._source.conversationId as string),
    );
    const hits: SearchHit[] = page
      .filter((hit) => !deletedConversations.has(hit._source.conversationId as string))
      .map((hit) => ({
        id: hit._source.id as string,
        kind: hit._source.kind as SearchHit['kind'],
        conversationId: hit._source.conversationId as string,
        score: hit._score,
        highlight: renderHighlight(hit.highlight?.body?.[0] ?? hit.highlight?.subject?.[0] ?? ''),
        updatedAt: hit._source.updatedAt as string,
      }));
    const last = page.at(-1);
    return raw.length > limit && last ? { hits, next: JSON.stringify(last.sort) } : { hits };
  }

  async count(generation: Generation, tenantId: TenantId): Promise<number> {
    const response = await this.client.count({
      index: this.index(generation),
      routing: tenantId,
      body: { query: { bool: { filter: [{ term: { tenantId } }, { term: { deleted: false } }] } } },
    });
    return (response.body as { count: number }).count;
  }

  async scanVersions(generation: Generation, tenantId: TenantId): Promise<VersionEntry[]> {
    const index = this.index(generation);
    const entries: VersionEntry[] = [];
    let after: (string | number)[] | undefined;
    for (;;) {
      const response = await this.client.search({
        index,
        routing: tenantId,
        body: {
          size: 1000,
          query: { bool: { filter: [{ term: { tenantId } }] } },
          sort: [{ id: 'asc' }],
          _source: ['id', 'v', 'deleted'],
          ...(after ? { search_after: after } : {}),
        },
      });
      const hits = (response.body as { hits: { hits: { _source: Body; sort: (string | number)[] }[] } }).hits.hits;
      entries.push(
        ...hits.map((hit) => ({ id: hit._source.id as string, v: hit._source.v as number, deleted: hit._source.deleted === true })),
      );
      if (hits.length < 1000) return entries;
      after = hits.at(-1)?.sort;
    }
  }

  async versionsOf(generation: Generation, tenantId: TenantId, ids: readonly string[]): Promise<VersionEntry[]> {
    if (ids.length === 0) return [];
    const response = await this.client.mget({
      index: this.index(generation),
      routing: tenantId,
      body: { ids: ids.map((id) => docId(tenantId, id)) },
      _source: ['id', 'v', 'deleted'],
    } as Parameters<Client['mget']>[0]);
    const docs = (response.body as { docs: { found: boolean; _source?: Body }[] }).docs;
    return docs
      .filter((doc) => doc.found && doc._source)
      .map((doc) => ({ id: doc._source?.id as string, v: doc._source?.v as number, deleted: doc._source?.deleted === true }));
  }

  async dropGeneration(generation: Generation): Promise<void> {
    try {
      await this.client.indices.delete({ index: this.index(generation) });
    } catch (error) {
      if (errorType(error) !== 'index_not_found_exception') throw error;
    }
  }

  private async deletedConversations(index: string, tenantId: TenantId, conversationIds: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(conversationIds)];
    if (unique.length === 0) return new Set();
    const response = await this.client.mget({
      index,
      routing: tenantId,
      body: { ids: unique.map((id) => docId(tenantId, id)) },
      _source: ['id', 'deleted'],
    } as Parameters<Client['mget']>[0]);
    const docs = (response.body as { docs: { found: boolean; _source?: Body }[] }).docs;
    return new Set(docs.filter((doc) => doc.found && doc._source?.deleted === true).map((doc) => doc._source?.id as string));
  }

  /**
   * A bulk write to a missing index would create it, with dynamic mappings, and so resurrect a generation a
   * migration dropped while an instance still held it in its list of write generations. With auto-creation off for
   * `<prefix>-*` such a write fails (404) and is retried against the current generations. The domain takes no
   * `action.auto_create_index` in its AdvancedOptions, but accepts it as a cluster setting in the flat form
   * (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/supported-operations.html). It is applied
   * before every generation is created, so no generation ever exists without it; other indexes (the service's own)
   * keep auto-creation.
   */
  private async refuseAutoCreation(): Promise<void> {
    await this.client.cluster.putSettings({
      body: { persistent: { 'action.auto_create_index': `-${this.options.indexPrefix}-*,+*` } },
    });
  }

  private index(generation: Generation): string {
    const parsed = generationSchema.safeParse(generation);
    if (!parsed.success) throw new Problem('validation-failed', `"${generation}" is not a search generation (g<number>).`);
    return `${this.options.indexPrefix}-${parsed.data}`;
  }
}

function errorType(error: unknown): string | undefined {
  const body = (error as { meta?: { body?: { error?: { type?: string } } } }).meta?.body;
  return body?.error?.type;
}
