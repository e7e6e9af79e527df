import { describe, expect, it } from 'vitest';
import { createCursorCodec } from '../../../../lambdas/core/conversations/cursor.js';
import { Problem } from '../../../../lambdas/core/problems.js';
import type { TenantId } from '../../../../lambdas/core/tenancy/tenancy.js';

const acme = 'acme' as TenantId;
const globex = 'globex' as TenantId;
const codec = createCursorCodec('k'.repeat(32));

function rejection(run: () => unknown): Problem {
  try {
    run();
  } catch (error) {
    if (error instanceof Problem) return error;
    throw error;
  }
  throw new Error('expected a problem');
}

describe('cursor codec', () => {
  it('round-trips a position for the tenant and scope that issued it', () => {
    const cursor = codec.encode(acme, 'conversations', '2026-01-01T00:00:00.000Z#abc');
    expect(codec.decode(acme, 'conversations', cursor)).toBe('2026-01-01T00:00:00.000Z#abc');
  });

  it("refuses another tenant's cursor", () => {
    const cursor = codec.encode(acme, 'conversations', 'p');
    expect(rejection(() => codec.decode(globex, 'conversations', cursor)).slug).toBe('invalid-cursor');
  });

  it('refuses a cursor issued for another list', () => {
    const cursor = codec.encode(acme, 'comments:one', 'p');
    expect(rejection(() => codec.decode(acme, 'comments:two', cursor)).slug).toBe('invalid-cursor');
  });

  it('refuses a tampered payload even when it is well-formed JSON', () => {
    const cursor = codec.encode(acme, 'conversations', 'p');
    const [, mac] = cursor.split('.');
    const forged = `${Buffer.from(JSON.stringify({ t: 'acme', s: 'conversations', p: 'z' })).toString('base64url')}.${mac}`;
    expect(rejection(() => codec.decode(acme, 'conversations', forged)).status).toBe(400);
  });

  it.each(['', 'garbage', 'a.b.c', '....', '\u0000.\u0000'])('refuses malformed cursor %j', (cursor) => {
    expect(rejection(() => codec.decode(acme, 'conversations', cursor)).slug).toBe('invalid-cursor');
  });

  it('refuses cursors signed with another key', () => {
    const other = createCursorCodec('x'.repeat(32)).encode(acme, 'conversations', 'p');
    expect(rejection(() => codec.decode(acme, 'conversations', other)).slug).toBe('invalid-cursor');
  });
});
