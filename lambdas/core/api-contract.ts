// The public and admin API contract: one set of zod schemas shared by handlers, the embedded platform and the
// CLI, so a request the CLI accepts is exactly a request the API accepts.
import * as z from 'zod';
import { flagKeySchema, tenantListSchema } from './flags/flag-definitions.js';
import { groupSchema, tenantIdSchema } from './tenancy/tenancy.js';
import { tierSchema } from './tenancy/tiers.js';
import { generationSchema, searchMappingSchema } from './search/search-index.js';

/** Printable text: any Unicode except control characters (newlines and tabs allowed where noted). */
const noControl = /^[^\p{Cc}]*$/u;
const multiline = /^(?:[^\p{Cc}]|[\n\r\t])*$/u;

const line = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(noControl, 'must not contain control characters');

const text = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(multiline, 'must not contain control characters other than newlines and tabs');

export const MAX_TEXT_CHARS = 60_000;

export const createConversationSchema = z.strictObject({
  subject: line(500),
  body: text(MAX_TEXT_CHARS),
  author: line(200),
});
export type CreateConversationInput = z.infer<typeof createConversationSchema>;

export const createCommentSchema = z.strictObject({
  body: text(MAX_TEXT_CHARS),
  author: line(200),
});
export type CreateCommentInput = z.infer<typeof createCommentSchema>;

/** Conversation and comment ids are UUIDs we minted; anything else cannot name a resource. */
export const resourceIdSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lowercase UUID as returned by the API');

export const conversationPathSchema = z.strictObject({ id: resourceIdSchema });

export const cursorParamSchema = z.string().min(1).max(2048);

export const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int('must be a whole number').min(1).max(100).default(20),
  cursor: cursorParamSchema.optional(),
});

export const getConversationQuerySchema = z.strictObject({
  limit: z.coerce.number().int('must be a whole number').min(1).max(100).default(50),
  cursor: cursorParamSchema.optional(),
});

/** Idempotency keys: 1-255 printable ASCII characters, as most HTTP APIs accept. */
export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 printable ASCII characters without spaces');

// ---- admin API -------------------------------------------------------------------------------------------

export const createTenantSchema = z.strictObject({
  id: tenantIdSchema,
  group: groupSchema.optional(),
  tier: tierSchema.optional(),
  shard: z
    .string()
    .regex(/^shard-[0-9]+$/, 'shard names look like shard-<n>')
    .optional(),
});
export type CreateTenantInput = z.infer<typeof createTenantSchema>;

export const tenantPathSchema = z.strictObject({ tenantId: tenantIdSchema });

export const listTenantsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: cursorParamSchema.optional(),
});

// ---- representations ---------------------------------------------------------------------------------------

export interface ConversationView {
  readonly id: string;
  readonly subject: string;
  readonly body: string;
  readonly author: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly commentCount: number;
  readonly version: number;
}

export interface CommentView {
  readonly id: string;
  readonly conversationId: string;
  readonly body: string;
  readonly author: string;
  readonly createdAt: string;
  readonly version: number;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface TenantView {
  readonly id: string;
  readonly shard: string;
  readonly epoch: number;
  readonly group: string;
  readonly tier: string;
  readonly status: string;
  readonly createdAt: string;
}

// ---- admin API: flags ---------------------------------------------------------------------------------------

const reason = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');

export const flagPathSchema = z.strictObject({ flagKey: flagKeySchema });

export const setFlagBodySchema = z.strictObject({
  /** A flagd flag definition; validated against the flagd schema by core. */
  definition: z.unknown(),
  /** The version the caller read (0 for a new flag); omit to apply to whatever version is current. */
  expectedVersion: z.number().int().min(0).optional(),
  reason: reason.optional(),
});

export const flagReasonBodySchema = z.strictObject({ reason: reason.optional() });

export const killFlagBodySchema = z.strictObject({ reason });

export const flagTenantsBodySchema = z.strictObject({
  tenants: tenantListSchema,
  variant: z.string().min(1).max(100).optional(),
  reason: reason.optional(),
});

export const unpinFlagBodySchema = z.strictObject({ tenants: tenantListSchema, reason: reason.optional() });

export const rolloutFlagBodySchema = z.strictObject({
  percent: z.number().min(0, 'must be from 0 to 100').max(100, 'must be from 0 to 100'),
  variant: z.string().min(1).max(100).optional(),
  reason: reason.optional(),
});

export const flagHistoryQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });

export const evaluateFlagQuerySchema = z.strictObject({ tenant: tenantIdSchema });

// ---- usage and queues ---------------------------------------------------------------------------------------

export const usageQuerySchema = z.strictObject({ minutes: z.coerce.number().int().min(1).max(1440).default(60) });

export const topTenantsQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });

export const queuePathSchema = z.strictObject({ queue: z.string().regex(/^[a-z-]{1,64}$/, 'a queue name such as jobs-dlq') });

/** Search text: any printable text (query syntax is never interpreted); long enough for a pasted paragraph. */
export const MAX_QUERY_CHARS = 10_240;
export const searchQuerySchema = z.strictObject({
  q: z
    .string()
    .max(MAX_QUERY_CHARS, `must be at most ${MAX_QUERY_CHARS} characters`)
    .regex(noControl, 'must not contain control characters')
    .refine((q) => q.trim().length > 0, 'must contain at least one word'),
  limit: z.coerce.number().int('must be a whole number').min(1).max(50).default(20),
  cursor: cursorParamSchema.optional(),
});

export const startSearchMigrationSchema = z.strictObject({
  to: generationSchema,
  mapping: searchMappingSchema.optional(),
  /** Share of searches also run on the new generation and compared while it is verified and cut over. */
  shadowRate: z.number().min(0).max(1).default(0.1),
  /** How long every tenant must have read the new generation before `complete` may drop the old one. */
  soakSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(3600),
});

export const searchCutoverSchema = z.union([
  z.strictObject({ tenants: tenantListSchema }),
  z.strictObject({ percent: z.number().min(0, 'must be from 0 to 100').max(100, 'must be from 0 to 100') }),
]);

export const searchRollbackSchema = z.strictObject({ tenants: tenantListSchema });
