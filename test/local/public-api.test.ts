// The public API end to end through the embedded platform's API Gateway bridge, authorizer and real handlers on
// DynamoDB Local: every bad input gets a problem+json with a stable type and changes nothing.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemType } from '../../lambdas/core/problems.js';
import { startLocalPlatform, type LocalPlatform } from '../../local/embedded-platform.js';
import { METRICS_FILE } from '../../local/metrics-sink.js';

let platform: LocalPlatform;
let dataDir: string;
let acme: string;
let globex: string;

interface Call {
  readonly token?: string;
  readonly body?: unknown;
  readonly raw?: string | Buffer;
  readonly headers?: Record<string, string>;
}

async function call(method: string, path: string, { token, body, raw, headers = {} }: Call = {}) {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  return { status: response.status, headers: response.headers, bytes, json: (text ? JSON.parse(text) : undefined) as Record<string, any> };
}

async function admin(method: string, path: string, body?: unknown) {
  return call(method, path, { token: platform.adminToken, ...(body === undefined ? {} : { body }) });
}

async function newTenant(id: string): Promise<string> {
  const created = await admin('POST', '/admin/tenants', { id });
  expect(created.status).toBe(201);
  return created.json.token as string;
}

const conversationInput = { subject: 'Printer on fire', body: 'It is really on fire.', author: 'ana' };

async function createConversation(token: string, input: object = conversationInput) {
  const created = await call('POST', '/v1/conversations', { token, body: input });
  expect(created.status).toBe(201);
  return created.json as { id: string; version: number };
}

async function snapshot(token: string) {
  const list = await call('GET', '/v1/conversations?limit=100', { token });
  return list.json.items as { id: string; version: number; commentCount: number }[];
}

function expectProblem(result: Awaited<ReturnType<typeof call>>, status: number, slug: string) {
  expect(result.status).toBe(status);
  expect(result.headers.get('content-type')).toBe('application/problem+json');
  expect(result.json).toMatchObject({ type: problemType(slug as never), status });
  expect(typeof result.json.detail).toBe('string');
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'headroom-api-'));
  platform = await startLocalPlatform({ dataDir, port: 0, demo: false });
  acme = await newTenant('acme');
  globex = await newTenant('globex');
});

afterAll(async () => {
  await platform?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('public API', () => {
  it('creates, comments, lists, gets and soft-deletes a conversation', async () => {
    const conversation = await createConversation(acme);
    const comment = await call('POST', `/v1/conversations/${conversation.id}/comments`, {
      token: acme,
      body: { body: 'On it.', author: 'bob' },
    });
    expect(comment.status).toBe(201);
    const got = await call('GET', `/v1/conversations/${conversation.id}`, { token: acme });
    expect(got.json).toMatchObject({
      id: conversation.id,
      version: 2,
      commentCount: 1,
      comments: { items: [{ body: 'On it.' }], nextCursor: null },
    });
    expect((await snapshot(acme)).map((c) => c.id)).toContain(conversation.id);
    expect((await call('DELETE', `/v1/conversations/${conversation.id}`, { token: acme })).status).toBe(204);
    expectProblem(await call('GET', `/v1/conversations/${conversation.id}`, { token: acme }), 404, 'not-found');
    expect((await snapshot(acme)).map((c) => c.id)).not.toContain(conversation.id);
  });

  it('round-trips Unicode and emoji byte-exact', async () => {
    const text = 'Zoë 👩🏽‍💻 ﷽ עִבְרִית e\u0301 \u2028 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🏳️‍🌈\n\ttabbed';
    const conversation = await createConversation(acme, { subject: 'ünïcødé ✓', body: text, author: '山田' });
    const got = await call('GET', `/v1/conversations/${conversation.id}`, { token: acme });
    expect(got.json.body).toBe(text);
    expect(got.json.author).toBe('山田');
    expect(got.bytes.includes(Buffer.from(JSON.stringify(text).slice(1, -1), 'utf8'))).toBe(true);
  });

  it('pages the listing with an opaque cursor', async () => {
    const token = await newTenant('pager');
    for (let i = 0; i < 5; i++) await createConversation(token, { ...conversationInput, subject: `s${i}` });
    const first = await call('GET', '/v1/conversations?limit=2', { token });
    expect(first.json.items).toHaveLength(2);
    const second = await call('GET', `/v1/conversations?limit=2&cursor=${encodeURIComponent(first.json.nextCursor)}`, { token });
    const third = await call('GET', `/v1/conversations?limit=2&cursor=${encodeURIComponent(second.json.nextCursor)}`, { token });
    const subjects = [...first.json.items, ...second.json.items, ...third.json.items].map((c: { subject: string }) => c.subject);
    expect(subjects).toEqual(['s4', 's3', 's2', 's1', 's0']);
    expect(third.json.nextCursor).toBeNull();
  });

  describe('bad input changes nothing', () => {
    const badBodies: [string, Call, number, string][] = [
      ['malformed JSON', { raw: '{"subject": "x", ' }, 400, 'malformed-json'],
      ['a JSON array', { body: [conversationInput] }, 400, 'validation-failed'],
      ['missing fields', { body: { subject: 'x' } }, 400, 'validation-failed'],
      ['wrong types', { body: { subject: 1, body: true, author: null } }, 400, 'validation-failed'],
      ['unknown fields', { body: { ...conversationInput, tenantId: 'globex' } }, 400, 'validation-failed'],
      ['empty subject', { body: { ...conversationInput, subject: '   ' } }, 400, 'validation-failed'],
      ['control characters in the subject', { body: { ...conversationInput, subject: 'a\u0000b' } }, 400, 'validation-failed'],
      ['a body over 64 KB', { body: { ...conversationInput, body: 'x'.repeat(64 * 1024) } }, 413, 'payload-too-large'],
      [
        'a non-JSON content type',
        { raw: 'subject=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        415,
        'unsupported-media-type',
      ],
    ];

    it.each(badBodies)('%s', async (_name, request, status, slug) => {
      const before = await snapshot(acme);
      expectProblem(await call('POST', '/v1/conversations', { token: acme, ...request }), status, slug);
      expect(await snapshot(acme)).toEqual(before);
    });

    it('names every field at fault', async () => {
      const result = await call('POST', '/v1/conversations', { token: acme, body: { subject: 1 } });
      expect(result.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.author', 'body.body', 'body.subject']);
    });

    it.each([
      ['a slash', 'a%2Fb'],
      ['a hash', 'abc%23def'],
      ['a NUL', 'abc%00'],
      ['a newline', '0192f0e1-0000-7000-8000-00000000000%0A'],
      ['an upper-case id', '0192F0E1-0000-7000-8000-000000000000'],
    ])('refuses an id with %s', async (_name, id) => {
      expectProblem(await call('GET', `/v1/conversations/${id}`, { token: acme }), 400, 'validation-failed');
      expectProblem(
        await call('POST', `/v1/conversations/${id}/comments`, { token: acme, body: { body: 'x', author: 'y' } }),
        400,
        'validation-failed',
      );
    });

    it.each([
      ['no token', undefined],
      ['a malformed token', 'not a token'],
      ['an unknown token', 'hr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ])('answers 401 to %s', async (_name, token) => {
      expectProblem(await call('GET', '/v1/conversations', token === undefined ? {} : { token }), 401, 'unauthorized');
      expectProblem(
        await call('POST', '/v1/conversations', { ...(token === undefined ? {} : { token }), body: conversationInput }),
        401,
        'unauthorized',
      );
    });

    it('stops accepting a rotated token at once and accepts the new one', async () => {
      const old = await newTenant('rotor');
      expect((await call('GET', '/v1/conversations', { token: old })).status).toBe(200);
      const rotated = await admin('POST', '/admin/tenants/rotor/tokens');
      expect(rotated.status).toBe(201);
      expectProblem(await call('GET', '/v1/conversations', { token: old }), 401, 'unauthorized');
      expect((await call('GET', '/v1/conversations', { token: rotated.json.token })).status).toBe(200);
    });

    it("answers 404, never 403, to another tenant's conversation, and changes nothing", async () => {
      const theirs = await createConversation(globex);
      expectProblem(await call('GET', `/v1/conversations/${theirs.id}`, { token: acme }), 404, 'not-found');
      expectProblem(
        await call('POST', `/v1/conversations/${theirs.id}/comments`, { token: acme, body: { body: 'x', author: 'y' } }),
        404,
        'not-found',
      );
      expectProblem(await call('DELETE', `/v1/conversations/${theirs.id}`, { token: acme }), 404, 'not-found');
      const still = await call('GET', `/v1/conversations/${theirs.id}`, { token: globex });
      expect(still.json).toMatchObject({ id: theirs.id, version: 1, commentCount: 0 });
    });

    it('refuses a tampered cursor and a cursor issued to another tenant', async () => {
      for (let i = 0; i < 3; i++) await createConversation(globex);
      const page = await call('GET', '/v1/conversations?limit=1', { token: globex });
      const cursor = page.json.nextCursor as string;
      expectProblem(await call('GET', `/v1/conversations?cursor=${encodeURIComponent(cursor)}`, { token: acme }), 400, 'invalid-cursor');
      const tampered = `${cursor.slice(0, 5)}${cursor[5] === 'A' ? 'B' : 'A'}${cursor.slice(6)}`;
      expectProblem(
        await call('GET', `/v1/conversations?cursor=${encodeURIComponent(tampered)}`, { token: globex }),
        400,
        'invalid-cursor',
      );
    });

    it('refuses out-of-range and unknown query parameters', async () => {
      expectProblem(await call('GET', '/v1/conversations?limit=0', { token: acme }), 400, 'validation-failed');
      expectProblem(await call('GET', '/v1/conversations?limit=abc', { token: acme }), 400, 'validation-failed');
      expectProblem(await call('GET', '/v1/conversations?tenant=globex', { token: acme }), 400, 'validation-failed');
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for the same key and body', async () => {
      const headers = { 'idempotency-key': 'order-42' };
      const first = await call('POST', '/v1/conversations', { token: acme, body: conversationInput, headers });
      const again = await call('POST', '/v1/conversations', { token: acme, body: conversationInput, headers });
      expect(again.status).toBe(201);
      expect(again.json).toEqual(first.json);
      expect(first.headers.get('idempotent-replayed')).toBe('false');
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect((await snapshot(acme)).filter((c) => c.id === first.json.id)).toHaveLength(1);
    });

    it('answers 422 to the same key with a different body, writing nothing', async () => {
      const headers = { 'idempotency-key': 'order-43' };
      await call('POST', '/v1/conversations', { token: acme, body: conversationInput, headers });
      const before = await snapshot(acme);
      expectProblem(
        await call('POST', '/v1/conversations', { token: acme, body: { ...conversationInput, subject: 'other' }, headers }),
        422,
        'idempotency-key-reused',
      );
      expect(await snapshot(acme)).toEqual(before);
    });

    it('keeps keys per tenant', async () => {
      const headers = { 'idempotency-key': 'shared-key' };
      const a = await call('POST', '/v1/conversations', { token: acme, body: conversationInput, headers });
      const b = await call('POST', '/v1/conversations', { token: globex, body: conversationInput, headers });
      expect(b.status).toBe(201);
      expect(b.json.id).not.toBe(a.json.id);
    });

    it('refuses a malformed key', async () => {
      expectProblem(
        await call('POST', '/v1/conversations', { token: acme, body: conversationInput, headers: { 'idempotency-key': 'x'.repeat(256) } }),
        400,
        'validation-failed',
      );
    });
  });

  describe('heartbeat metrics', () => {
    it('emits one EMF count per committed create with the tenant in metadata, never as a dimension', async () => {
      const token = await newTenant('pulse');
      const headers = { 'idempotency-key': 'pulse-1' };
      const conversation = (await call('POST', '/v1/conversations', { token, body: conversationInput, headers })).json;
      await call('POST', '/v1/conversations', { token, body: conversationInput, headers });
      await call('POST', `/v1/conversations/${conversation.id}/comments`, { token, body: { body: 'x', author: 'y' } });
      await call('POST', '/v1/conversations', { token, body: { subject: 1 } });
      // The EMF sink appends asynchronously: wait until both documents have reached the file.
      const read = () =>
        readFileSync(join(dataDir, METRICS_FILE), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Record<string, any>)
          .filter((doc) => doc.tenantId === 'pulse');
      for (let i = 0; i < 50 && read().length < 2; i++) await sleep(50);
      const documents = read();
      const count = (name: string) => documents.reduce((sum, doc) => sum + (typeof doc[name] === 'number' ? doc[name] : 0), 0);
      expect(count('ConversationCreated')).toBe(1);
      expect(count('CommentCreated')).toBe(1);
      for (const doc of documents) {
        expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe('Headroom');
        expect(doc._aws.CloudWatchMetrics[0].Dimensions.flat()).not.toContain('tenantId');
      }
    });
  });

  describe('usage plans', () => {
    it("throttles each tenant by its tier's usage plan with 429 and Retry-After, without touching others", async () => {
      const created = await admin('POST', '/admin/tenants', { id: 'tiny', tier: 'free' });
      const token = created.json.token as string;
      const results = await Promise.all(Array.from({ length: 40 }, () => call('GET', '/v1/conversations?limit=1', { token })));
      const throttled = results.filter((r) => r.status === 429);
      expect(throttled.length).toBeGreaterThan(0);
      expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(20);
      expectProblem(throttled[0]!, 429, 'rate-limited');
      expect(Number(throttled[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await call('GET', '/v1/conversations?limit=1', { token: acme })).status).toBe(200);
    });
  });

  describe('routes and admin', () => {
    it('serves healthz without a token', async () => {
      expect((await call('GET', '/healthz')).json).toEqual({ status: 'ok' });
    });

    it('answers unknown routes with a problem', async () => {
      expectProblem(await call('GET', '/v1/nope', { token: acme }), 404, 'route-not-found');
    });

    it('refuses admin routes without the admin token, even with a tenant token', async () => {
      expectProblem(await call('GET', '/admin/tenants'), 401, 'unauthorized');
      expectProblem(await call('GET', '/admin/tenants', { token: acme }), 401, 'unauthorized');
    });

    it('refuses a duplicate tenant and a shard that does not exist', async () => {
      expectProblem(await admin('POST', '/admin/tenants', { id: 'acme' }), 409, 'conflict');
      expectProblem(await admin('POST', '/admin/tenants', { id: 'newco', shard: 'shard-99' }), 400, 'validation-failed');
      expectProblem(await admin('POST', '/admin/tenants', { id: 'Bad_Id' }), 400, 'validation-failed');
      expectProblem(await admin('GET', '/admin/tenants/newco'), 404, 'not-found');
    });

    it('lists tenants and reports shard status', async () => {
      const list = await admin('GET', '/admin/tenants?limit=1000');
      expect(list.json.items.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining(['acme', 'globex']));
      expect(JSON.stringify(list.json)).not.toMatch(/tokenHash|hr_/);
      const status = await admin('GET', '/admin/status');
      expect(status.json.shards).toHaveLength(4);
      expect(status.json.tenants).toBe(list.json.items.length);
    });
  });
});
