// Cursors are opaque to callers and bound to the tenant and listing that issued them: a tampered cursor, or one
// issued to another tenant or for another list, is refused before it can steer a query.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Problem } from '../problems.js';
import type { TenantId } from '../tenancy/tenancy.js';

export type CursorScope = 'conversations' | `comments:${string}` | 'tenants' | `search:${string}`;

interface CursorPayload {
  readonly t: string;
  readonly s: string;
  readonly p: string;
}

export interface CursorCodec {
  encode(tenantId: TenantId | '*', scope: CursorScope, position: string): string;
  /** The position inside a cursor, or a 400 `invalid-cursor` problem. */
  decode(tenantId: TenantId | '*', scope: CursorScope, cursor: string): string;
}

const MAC_BYTES = 16;

export function createCursorCodec(key: string | Buffer): CursorCodec {
  const mac = (payload: string): Buffer => createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);
  const invalid = () => new Problem('invalid-cursor', 'The cursor is not one this API issued for this list. Start again without a cursor.');
  return {
    encode(tenantId, scope, position) {
      const payload = Buffer.from(JSON.stringify({ t: tenantId, s: scope, p: position } satisfies CursorPayload)).toString('base64url');
      return `${payload}.${mac(payload).toString('base64url')}`;
    },
    decode(tenantId, scope, cursor) {
      const [payload, signature, extra] = cursor.split('.');
      if (!payload || !signature || extra !== undefined) throw invalid();
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
      let parsed: Partial<CursorPayload>;
      try {
        parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<CursorPayload>;
      } catch {
        throw invalid();
      }
      if (parsed.t !== tenantId || parsed.s !== scope || typeof parsed.p !== 'string') throw invalid();
      return parsed.p;
    },
  };
}
