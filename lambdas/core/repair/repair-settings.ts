// How the derived-data reconciler is paced: one settings block, read by lib/config.ts for the synth and by the
// runtime from its environment, so the pacing the stack is sized for is the pacing the function honours.
import * as z from 'zod';

/** The derived views the reconciler compares with the source of truth (a metric dimension: a closed set). */
export const REPAIR_VIEWS = ['search', 'usage'] as const;
export type RepairView = (typeof REPAIR_VIEWS)[number];

export const repairSettingsSchema = z.strictObject({
  /** Scheduled passes run; off, only operator-requested runs (`headroom repair run`) do. */
  enabled: z.boolean(),
  /** A scheduled pass starts no sooner than this many minutes after the previous one started. */
  passIntervalMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60),
  /** Source items read per second, over every shard together: the reconciler's share of shard read throughput. */
  itemsPerSecond: z.number().int().min(1).max(10_000),
  /** Usage minutes younger than this are left to the pipeline (jobs in flight are not divergence). */
  settleSeconds: z
    .number()
    .int()
    .min(0)
    .max(24 * 3600),
});
export type RepairSettings = z.infer<typeof repairSettingsSchema>;

export const DEFAULT_REPAIR_SETTINGS: RepairSettings = {
  enabled: true,
  passIntervalMinutes: 60,
  // Far below one shard's 3,000 read units per second per partition, and spread over the tenant's partitions.
  itemsPerSecond: 200,
  // The overflow queue's age alarm (15 minutes): a job older than that is an incident of its own.
  settleSeconds: 900,
};

/** Kept back from each run's time for the tenant in progress to finish and save: tenants are checked whole. */
export const REPAIR_MARGIN_MS = 15_000;
