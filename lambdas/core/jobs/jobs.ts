// A job is the unit of background work: one committed change to one conversation or comment, carrying the
// item's version `v`. Consumers compare versions, so a job delivered twice or late can never undo newer work.
import * as z from 'zod';
import { tenantIdSchema } from '../tenancy/tenancy.js';

export const JOB_KINDS = ['conversation', 'comment'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const jobSchema = z.strictObject({
  kind: z.enum(JOB_KINDS),
  tenantId: tenantIdSchema,
  /** The fairness group: every send uses it as MessageGroupId. */
  group: z.string().min(1).max(128),
  /** `<conversationId>` or `<conversationId>/<commentId>`. */
  key: z.string().min(1).max(200),
  v: z.number().int().positive(),
  op: z.enum(['insert', 'update', 'delete']),
  /** When the change committed (the stream record's time): usage is counted by when customers acted. */
  committedAt: z.iso.datetime(),
});
export type Job = z.infer<typeof jobSchema>;

/** A job body as it travels through SQS; anything that does not parse is poison and goes to the DLQ. */
export function parseJob(body: string): Job {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new PoisonJobError('job body is not JSON');
  }
  const parsed = jobSchema.safeParse(raw);
  if (!parsed.success) throw new PoisonJobError(`job body is not a valid job: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export class PoisonJobError extends Error {
  override readonly name = 'PoisonJobError';
}
