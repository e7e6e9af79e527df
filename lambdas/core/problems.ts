// Every failure that reaches a caller is an RFC 9457 problem with a stable machine `type` and a sentence that
// says what to do next; anything else is a bug and is reported as an opaque 500.

export type ProblemSlug =
  | 'malformed-json'
  | 'validation-failed'
  | 'unsupported-media-type'
  | 'payload-too-large'
  | 'unauthorized'
  | 'not-found'
  | 'route-not-found'
  | 'invalid-cursor'
  | 'idempotency-key-reused'
  | 'conflict'
  | 'migration-not-ready'
  | 'rate-limited'
  | 'quota-exceeded'
  | 'writes-paused'
  | 'llm-unavailable'
  | 'token-quota-exceeded'
  | 'internal';

export const PROBLEM_STATUS: Readonly<Record<ProblemSlug, number>> = {
  'malformed-json': 400,
  'validation-failed': 400,
  'unsupported-media-type': 415,
  'payload-too-large': 413,
  unauthorized: 401,
  'not-found': 404,
  'route-not-found': 404,
  'invalid-cursor': 400,
  'idempotency-key-reused': 422,
  conflict: 409,
  'migration-not-ready': 409,
  'rate-limited': 429,
  'quota-exceeded': 429,
  'writes-paused': 503,
  'llm-unavailable': 503,
  'token-quota-exceeded': 429,
  internal: 500,
};

const TITLES: Readonly<Record<ProblemSlug, string>> = {
  'malformed-json': 'Request body is not valid JSON',
  'validation-failed': 'Request failed validation',
  'unsupported-media-type': 'Unsupported media type',
  'payload-too-large': 'Request body too large',
  unauthorized: 'Missing or invalid credentials',
  'not-found': 'Resource not found',
  'route-not-found': 'No such route',
  'invalid-cursor': 'Invalid pagination cursor',
  'idempotency-key-reused': 'Idempotency-Key reused with a different request',
  conflict: 'Conflict with the current state',
  'migration-not-ready': 'The migration is not in a state that allows this',
  'rate-limited': 'Too many requests',
  'quota-exceeded': 'Daily request quota exhausted',
  'writes-paused': 'Writes are paused for this account',
  'llm-unavailable': 'No AI model is available right now',
  'token-quota-exceeded': 'Daily AI token quota exhausted',
  internal: 'Internal error',
};

export const problemType = (slug: ProblemSlug): string => `https://headroom.dev/problems/${slug}`;

export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly [extension: string]: unknown;
}

/** Brands every Problem, so a problem thrown by one copy of this module is recognised by another (a handler bundle
 * loaded into the embedded platform carries its own copy, and the platform's host services throw the sources'). */
const PROBLEM_BRAND: unique symbol = Symbol.for('headroom.problem');

export class Problem extends Error {
  readonly status: number;
  readonly [PROBLEM_BRAND] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PROBLEM_BRAND] === true;
  }

  constructor(
    readonly slug: ProblemSlug,
    readonly detail: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
    this.name = 'Problem';
    this.status = PROBLEM_STATUS[slug];
  }

  toDocument(instance?: string): ProblemDocument {
    return {
      type: problemType(this.slug),
      title: TITLES[this.slug],
      status: this.status,
      detail: this.detail,
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

/** The same 404 whether the id never existed or belongs to someone else: existence is never confirmed. */
export const notFound = (what: string): Problem => new Problem('not-found', `${what} was not found. Check the id.`);
