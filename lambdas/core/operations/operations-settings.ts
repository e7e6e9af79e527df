// The operations functions' settings that config validates and the functions read back: one schema each, so a
// value the synth accepts is a value the canary and the rollback action accept.
import * as z from 'zod';

/**
 * A canary run fails unless its comment is applied (searchable) within this many seconds. The canary function's
 * timeout is this deadline plus 10 s to publish the outcome, so 840 s keeps it under Lambda's 900 s maximum.
 */
export const canaryDeadlineSecondsSchema = z.number().int().min(5).max(840);

/**
 * The canary deletes its own conversations once they have not been updated for this many hours. Each sweep lists
 * them newest first to reach the oldest, so a week (10,080 conversations at one run a minute, about 100 list
 * requests) is the most a sweep reads within a run's deadline.
 */
export const canaryRetentionHoursSchema = z.number().int().min(1).max(168);

/** The rollback action reverts a release that finished less than this many minutes before the heartbeat dropped. */
export const rollbackWindowMinutesSchema = z.number().int().min(1).max(1440);
