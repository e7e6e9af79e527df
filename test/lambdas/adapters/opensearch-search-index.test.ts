// The OpenSearch adapter: the shared contract against a real cluster when OPENSEARCH_URL is set, and always the
// requests it sends (routing, external versions, tombstones as writes, query shape) and how it maps bulk
// results, against a recording HTTP server that answers like OpenSearch.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenSearchSearchIndex } from '../../../lambdas/adapters/aws/opensearch-search-index.js';
import type { TenantId } from '../../../lambdas/core/tenancy/tenancy.js';
import { searchDoc, searchIndexContract } from './search-index-contract.js';

const realCluster = process.env.OPENSEARCH_URL;
if (realCluster) {
  searchIndexContract('OpenSearch', async () => {
    const client = new Client({ node: realCluster });
    const index = new OpenSearchSearchIndex(client, { indexPrefix: `headroom-test-${process.pid}`, shards: 1, replicas: 0 });
    return { index, settle: async () => void (await client.indices.refresh({ index: `headroom-test-${process.pid}-*` })) };
  });
}

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
}

type Reply = (request: Recorded) => { status: number; body: unknown };

describe('OpenSearch adapter requests', () => {
  let server: Server;
  let recorded: Recorded[] = [];
  let replies: Reply[] = [];
  let index: OpenSearchSearchIndex;
  const sleeps: number[] = [];

  const read = (request: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });

  beforeAll(async () => {
    server = createServer(async (request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const entry = { method: request.method ?? '', path: url.pathname, query: url.searchParams, body: await read(request) };
      recorded.push(entry);
      const reply = replies.shift()?.(entry) ?? { status: 200, body: {} };
      response.writeHead(reply.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(reply.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new Client({ node: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    index = new OpenSearchSearchIndex(client, {
      indexPrefix: 'headroom-conversations',
      shards: 3,
      replicas: 1,
      retries: 2,
      backoffMs: 10,
      sleep: async (ms) => void sleeps.push(ms),
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const expectRequests = (count: number) => {
    const requests = recorded;
    recorded = [];
    expect(requests).toHaveLength(count);
    return requests;
  };
  const ndjson = (body: string) =>
    body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, Record<string, unknown>>);

  it('creates a generation as its own index with strict mappings, and tolerates a concurrent creation', async () => {
    replies = [
      () => ({ status: 404, body: {} }),
      () => ({ status: 200, body: { acknowledged: true } }),
      () => ({ status: 400, body: { error: { type: 'resource_already_exists_exception' } } }),
    ];
    await index.ensureGeneration('g2', { opensearch: { settings: { refresh_interval: '5s' } } });
    const [exists, settings, create] = expectRequests(3);
    expect(exists).toMatchObject({ method: 'HEAD', path: '/headroom-conversations-g2' });
    expect(settings).toMatchObject({ method: 'PUT', path: '/_cluster/settings' });
    expect(create).toMatchObject({ method: 'PUT', path: '/headroom-conversations-g2' });
    const body = JSON.parse(create?.body ?? '{}') as {
      settings: Record<string, unknown>;
      mappings: { dynamic: string; properties: Record<string, { type: string }> };
    };
    expect(body.settings).toEqual({ number_of_shards: 3, number_of_replicas: 1, refresh_interval: '5s' });
    expect(body.mappings.dynamic).toBe('strict');
    expect(body.mappings.properties.tenantId?.type).toBe('keyword');
    expect(body.mappings.properties.v?.type).toBe('long');
  });

  it('turns auto-creation off for the generation indexes before creating one, so a write to a dropped generation fails', async () => {
    replies = [() => ({ status: 404, body: {} })];
    await index.ensureGeneration('g3');
    const [, settings] = expectRequests(3);
    // The flat form: the service refuses the nested one. Only the generation indexes lose auto-creation.
    expect(JSON.parse(settings?.body ?? '{}')).toEqual({ persistent: { 'action.auto_create_index': '-headroom-conversations-*,+*' } });
    replies = [() => ({ status: 200, body: {} })];
    await index.ensureGeneration('g3');
    expect(expectRequests(1)[0]).toMatchObject({ method: 'HEAD', path: '/headroom-conversations-g3' });
  });

  it('writes every document with routing = tenant, external version = v, tombstones as writes; 409 is stale, 429 is retried', async () => {
    const live = searchDoc('acme', { v: 7 });
    const gone = searchDoc('acme', { v: 9, deleted: true, body: '' });
    const old = searchDoc('acme', { v: 1 });
    replies = [
      () => ({
        status: 200,
        body: {
          errors: true,
          items: [
            { index: { status: 201 } },
            { index: { status: 429, error: { type: 'es_rejected_execution_exception' } } },
            { index: { status: 409, error: { type: 'version_conflict_engine_exception' } } },
          ],
        },
      }),
      () => ({ status: 200, body: { errors: false, items: [{ index: { status: 200 } }] } }),
    ];
    expect(await index.bulkUpsert('g2', [live, gone, old])).toEqual(['applied', 'applied', 'stale']);
    const [first, retry] = expectRequests(2);
    // The index is in the path and never in the body: the domain refuses explicit indexes in bodies.
    expect(first?.path).toBe('/headroom-conversations-g2/_bulk');
    expect(['POST', 'PUT']).toContain(first?.method);
    const lines = ndjson(first?.body ?? '');
    expect(lines[0]).toEqual({ index: { _id: `acme:${live.id}`, routing: 'acme', version: 7, version_type: 'external' } });
    const actions = lines.filter((_, i) => i % 2 === 0);
    expect(actions.filter((line) => '_index' in (line.index ?? {}))).toEqual([]);
    expect(lines[3]).toMatchObject({ deleted: true, v: 9 });
    expect(lines.filter((line) => 'delete' in line)).toEqual([]);
    expect(ndjson(retry?.body ?? '')[0]).toMatchObject({ index: { _id: `acme:${gone.id}`, version: 9 } });
    expect(sleeps).toHaveLength(1);
  });

  it('surfaces failures other than conflicts and throttling, and gives up on endless throttling', async () => {
    replies = [
      () => ({
        status: 200,
        body: { errors: true, items: [{ index: { status: 400, error: { type: 'mapper_parsing_exception', reason: 'bad' } } }] },
      }),
    ];
    await expect(index.bulkUpsert('g2', [searchDoc('acme')])).rejects.toThrow(/mapper_parsing_exception/);
    const throttled = () => ({ status: 200, body: { errors: true, items: [{ index: { status: 429 } }] } });
    replies = [throttled, throttled, throttled];
    await expect(index.bulkUpsert('g2', [searchDoc('acme')])).rejects.toThrow(/throttling/);
    recorded = [];
  });

  it('searches one tenant with routing, filters tombstones, never parses query syntax, and highlights with private marks', async () => {
    const hit = (id: string, kind: string, conversationId: string) => ({
      _score: 2,
      sort: [2, id],
      _source: { id, kind, conversationId, updatedAt: '2026-11-26T10:00:00.000Z' },
      highlight: { body: ['the \uE000printer\uE001 <b>'] },
    });
    replies = [
      () => ({
        status: 200,
        body: { hits: { hits: [hit('c1', 'conversation', 'c1'), hit('c2/m1', 'comment', 'c2'), hit('c3', 'conversation', 'c3')] } },
      }),
      () => ({ status: 200, body: { docs: [{ found: true, _source: { id: 'c2', deleted: true } }] } }),
    ];
    const page = await index.search('g2', 'acme' as TenantId, 'printer AND "x', 2);
    const [search, parents] = expectRequests(2);
    expect(search).toMatchObject({ method: 'POST', path: '/headroom-conversations-g2/_search' });
    expect(search?.query.get('routing')).toBe('acme');
    const body = JSON.parse(search?.body ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({
      size: 3,
      query: {
        bool: {
          filter: [{ term: { tenantId: 'acme' } }, { term: { deleted: false } }],
          must: [{ multi_match: { query: 'printer AND "x', operator: 'and' } }],
        },
      },
      sort: [{ _score: 'desc' }, { id: 'asc' }],
      highlight: { pre_tags: ['\uE000'], post_tags: ['\uE001'] },
    });
    expect(parents).toMatchObject({ method: 'POST', path: '/headroom-conversations-g2/_mget' });
    expect(parents?.query.get('routing')).toBe('acme');
    expect(page.hits.map((h) => h.id)).toEqual(['c1']);
    expect(page.hits[0]?.highlight).toBe('the <mark>printer</mark> &lt;b&gt;');
    expect(JSON.parse(page.next ?? '[]')).toEqual([2, 'c2/m1']);
  });

  it('counts, scans versions and looks up ids with routing = tenant', async () => {
    replies = [
      () => ({ status: 200, body: { count: 4 } }),
      () => ({ status: 200, body: { hits: { hits: [{ _source: { id: 'a', v: 2, deleted: true }, sort: ['a'] }] } } }),
      () => ({ status: 200, body: { docs: [{ found: true, _source: { id: 'a', v: 2, deleted: false } }, { found: false }] } }),
    ];
    expect(await index.count('g2', 'acme' as TenantId)).toBe(4);
    expect(await index.scanVersions('g2', 'acme' as TenantId)).toEqual([{ id: 'a', v: 2, deleted: true }]);
    expect(await index.versionsOf('g2', 'acme' as TenantId, ['a', 'b'])).toEqual([{ id: 'a', v: 2, deleted: false }]);
    const [count, scan, lookup] = expectRequests(3);
    for (const request of [count, scan, lookup]) expect(request?.query.get('routing')).toBe('acme');
    expect(JSON.parse(scan?.body ?? '{}')).toMatchObject({
      sort: [{ id: 'asc' }],
      query: { bool: { filter: [{ term: { tenantId: 'acme' } }] } },
    });
    expect(JSON.parse(lookup?.body ?? '{}')).toEqual({ ids: ['acme:a', 'acme:b'] });
  });

  it('drops a generation by deleting its index, and a missing index is already dropped', async () => {
    replies = [() => ({ status: 404, body: { error: { type: 'index_not_found_exception' } } })];
    await index.dropGeneration('g2');
    expect(expectRequests(1)[0]).toMatchObject({ method: 'DELETE', path: '/headroom-conversations-g2' });
    await expect(index.search('g2; DROP', 'acme' as TenantId, 'x', 1)).rejects.toThrow(/not a search generation/);
  });
});
