// How long a create's Idempotency-Key is remembered: a retry within it replays the first response, a retry after
// it creates again. Declared once, here: lib/config.ts validates and composes it (in hours), and the runtime reads
// it back (in seconds) within the same bounds.
import * as z from 'zod';

/** Whole hours, at most a week (config `runtime.idempotencyTtlHours`). */
export const idempotencyTtlHoursSchema = z
  .number()
  .int()
  .min(1)
  .max(24 * 7);
export const DEFAULT_IDEMPOTENCY_TTL_HOURS = 24;
