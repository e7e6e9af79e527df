// API tokens are shown to their owner once and stored only as sha256 digests, so a leaked control table does not
// leak credentials. Tokens are 256 random bits; a fast hash is enough (nothing to brute-force).
import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PREFIX = 'hr_';

export const newApiToken = (): string => `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The token inside an `Authorization: Bearer <token>` header, or undefined if the header is not of that form. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([A-Za-z0-9_\-.~+/]{16,512}=*)$/.exec(header?.trim() ?? '');
  return match?.[1];
}
