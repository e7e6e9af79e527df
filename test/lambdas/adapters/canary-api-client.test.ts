import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CanaryHttpError, createCanaryApiClient } from '../../../lambdas/adapters/http/canary-api-client.js';
import { runHeartbeatCanary } from '../../../lambdas/core/operations/heartbeat-canary.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A small HTTP stand-in for the public API: answers like the real routes, indexes comment bodies for search. */
function fakePublicApi() {
  const seen: Seen[] = [];
  const comments: { conversationId: string; commentId: string; body: string }[] = [];
  let conversations = 0;
  let failNext: { status: number; type: string; detail: string } | undefined;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const send = (status: number, payload: unknown, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type });
        res.end(JSON.stringify(payload));
      };
      if (req.headers.authorization !== 'Bearer canary-token')
        return send(
          401,
          { type: 'https://headroom.dev/problems/unauthorized', title: 'Unauthorized', status: 401 },
          'application/problem+json',
        );
      if (failNext) {
        const problem = failNext;
        failNext = undefined;
        return send(problem.status, { ...problem, title: 'x' }, 'application/problem+json');
      }
      const url = new URL(req.url!, 'http://x');
      const commentPath = url.pathname.match(/^\/v1\/conversations\/([^/]+)\/comments$/);
      if (req.method === 'POST' && url.pathname === '/v1/conversations')
        return send(201, { id: `00000000-0000-4000-8000-00000000000${++conversations}` });
      if (req.method === 'POST' && commentPath) {
        const commentId = `11111111-0000-4000-8000-00000000000${comments.length + 1}`;
        comments.push({ conversationId: commentPath[1]!, commentId, body: JSON.parse(body).body });
        return send(201, { id: commentId });
      }
      if (req.method === 'GET' && url.pathname === '/v1/conversations') {
        const item = { id: 'c-2', subject: 's', body: 'b', author: 'a', createdAt: 't1', updatedAt: 't2', commentCount: 1, version: 2 };
        return send(200, url.searchParams.has('cursor') ? { items: [], nextCursor: null } : { items: [item], nextCursor: 'next-page' });
      }
      const deletePath = url.pathname.match(/^\/v1\/conversations\/([^/]+)$/);
      if (req.method === 'DELETE' && deletePath) {
        if (deletePath[1] === 'gone') return send(404, { type: 'https://headroom.dev/problems/not-found' }, 'application/problem+json');
        res.writeHead(204);
        return res.end();
      }
      if (req.method === 'GET' && url.pathname === '/v1/search') {
        const q = url.searchParams.get('q')!;
        const items = comments
          .filter((c) => c.body.includes(q))
          .map((c) => ({
            id: `${c.conversationId}/${c.commentId}`,
            kind: 'comment',
            conversationId: c.conversationId,
            score: 1,
            highlight: '',
            updatedAt: '',
          }));
        return send(200, { items, nextCursor: null, generation: 'g1' });
      }
      send(404, { type: 'https://headroom.dev/problems/not-found' }, 'application/problem+json');
    });
  });
  return {
    server,
    seen,
    failNextWith: (problem: { status: number; type: string; detail: string }) => (failNext = problem),
  };
}

describe('canary API client', () => {
  const api = fakePublicApi();
  let baseUrl = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => api.server.close(() => resolve())));

  it('drives a whole canary run over HTTP: bearer token, idempotency keys, and a search hit on the comment', async () => {
    const client = createCanaryApiClient({ baseUrl, token: 'canary-token' });
    const outcome = await runHeartbeatCanary({
      api: client,
      clock: { now: () => new Date() },
      sleep,
      deadline: new Date(Date.now() + 10_000),
      nonce: 'feedface0123',
      pollIntervalMs: 10,
    });
    expect(outcome).toMatchObject({ ok: true, commentId: expect.stringMatching(/^11111111-/) });
    const [create, comment, search] = api.seen.slice(-3);
    expect(create).toMatchObject({ method: 'POST', url: '/v1/conversations' });
    expect(create!.headers['idempotency-key']).toBe('canary-feedface0123-conversation');
    expect(create!.headers['content-type']).toBe('application/json');
    expect(comment!.headers['idempotency-key']).toBe('canary-feedface0123-comment');
    expect(JSON.parse(comment!.body)).toMatchObject({ body: 'heartbeat feedface0123' });
    expect(search).toMatchObject({ method: 'GET', url: '/v1/search?q=feedface0123&limit=10' });
  });

  it('lists conversations a full page at a time, following the cursor', async () => {
    const client = createCanaryApiClient({ baseUrl, token: 'canary-token' });
    expect(await client.listConversations()).toEqual({ items: [{ id: 'c-2', author: 'a', updatedAt: 't2' }], nextCursor: 'next-page' });
    expect(api.seen.at(-1)).toMatchObject({ method: 'GET', url: '/v1/conversations?limit=100' });
    expect(await client.listConversations('next-page')).toEqual({ items: [], nextCursor: null });
    expect(api.seen.at(-1)).toMatchObject({ method: 'GET', url: '/v1/conversations?limit=100&cursor=next-page' });
  });

  it('deletes a conversation, a 404 meaning it was already gone and any other failure an error', async () => {
    const client = createCanaryApiClient({ baseUrl, token: 'canary-token' });
    expect(await client.deleteConversation('c-1')).toBe(true);
    expect(api.seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/v1/conversations/c-1' });
    expect(await client.deleteConversation('gone')).toBe(false);
    api.failNextWith({ status: 503, type: 'https://headroom.dev/problems/writes-paused', detail: 'Writes are paused.' });
    await expect(client.deleteConversation('c-1')).rejects.toThrow('DELETE /v1/conversations/c-1 answered 503');
  });

  it('turns a problem+json answer into an error naming the status, type and detail', async () => {
    const client = createCanaryApiClient({ baseUrl, token: 'canary-token' });
    api.failNextWith({ status: 503, type: 'https://headroom.dev/problems/writes-paused', detail: 'Writes are paused for this tenant.' });
    const error = await client.createConversation({ subject: 's', body: 'b', author: 'a' }, 'k1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanaryHttpError);
    expect((error as CanaryHttpError).status).toBe(503);
    expect((error as Error).message).toBe(
      'POST /v1/conversations answered 503 https://headroom.dev/problems/writes-paused: Writes are paused for this tenant.',
    );
  });

  it('reports a rejected token as a failed create, so a broken canary pages instead of looking quiet', async () => {
    const client = createCanaryApiClient({ baseUrl, token: 'wrong' });
    const outcome = await runHeartbeatCanary({
      api: client,
      clock: { now: () => new Date() },
      sleep: async () => {},
      deadline: new Date(Date.now() + 5_000),
      nonce: 'feedface0456',
    });
    expect(outcome).toMatchObject({ ok: false, failedStage: 'create-conversation', reason: expect.stringContaining('answered 401') });
  });
});
