// Validates everything a caller controls (body, path, query, Idempotency-Key) before any core code runs, so a
// bad request is refused with the exact fields at fault and changes nothing.
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { z } from 'zod';
import { idempotencyKeySchema } from '../core/api-contract.js';
import { Problem } from '../core/problems.js';

export interface RequestSpec<B, P, Q> {
  readonly body?: z.ZodType<B>;
  readonly path?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  /** Accept an Idempotency-Key header. */
  readonly idempotent?: boolean;
  /** Largest accepted body in bytes. */
  readonly maxBodyBytes?: number;
  /** Read a request without a body as `{}`, for commands whose every field is optional. */
  readonly bodyOptional?: boolean;
}

export interface ValidatedInput<B, P, Q> {
  readonly body: B;
  readonly path: P;
  readonly query: Q;
  readonly idempotencyKey?: string;
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted) return value ?? undefined;
  return undefined;
}

export function validateInput<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const first = errors[0];
  throw new Problem('validation-failed', `${first?.path}: ${first?.message}. Fix the request and send it again.`, { errors });
}

export function parseJsonBody(event: APIGatewayProxyEvent, maxBytes: number): unknown {
  const contentType = header(event, 'content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
    throw new Problem('unsupported-media-type', 'Send the body as JSON with `Content-Type: application/json`.');
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');
  if (raw.length > maxBytes) {
    throw new Problem('payload-too-large', `The body is ${raw.length} bytes; the limit is ${maxBytes} bytes. Shorten the text.`, {
      limitBytes: maxBytes,
    });
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new Problem('malformed-json', `The body is not valid JSON (${(error as Error).message}). Send a JSON object.`);
  }
}

/** The input `spec` declares, read from `event` and validated: path, then query, then body. */
export function validateRequest<B, P, Q>(spec: RequestSpec<B, P, Q>, event: APIGatewayProxyEvent): ValidatedInput<B, P, Q> {
  const key = header(event, 'idempotency-key');
  const body = () => (spec.bodyOptional && !event.body ? {} : parseJsonBody(event, spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES));
  return {
    path: spec.path ? validateInput(spec.path, event.pathParameters ?? {}, 'path') : (undefined as P),
    query: spec.query ? validateInput(spec.query, event.queryStringParameters ?? {}, 'query') : (undefined as Q),
    body: spec.body ? validateInput(spec.body, body(), 'body') : (undefined as B),
    idempotencyKey: spec.idempotent && key !== undefined ? validateInput(idempotencyKeySchema, key, 'header.Idempotency-Key') : undefined,
  };
}

export function requestValidation<B, P, Q>(
  spec: RequestSpec<B, P, Q>,
): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context & { input: ValidatedInput<B, P, Q> }> {
  return {
    before: async (request) => {
      request.context.input = validateRequest(spec, request.event);
    },
  };
}
