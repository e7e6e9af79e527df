// How tenant moves pace themselves and how long a fenced write waits. Declared once, here: lib/config.ts
// `tenantMove` validates and composes it, and the runtime reads it back (HEADROOM_TENANT_MOVE) with the same schema.
import * as z from 'zod';

export const tenantMoveSettingsSchema = z.strictObject({
  /** How long a write for a fenced tenant waits for the cutover to finish before answering 503 + Retry-After. */
  fenceWaitMs: z.number().int().min(0).max(10_000),
  /** Backfill copy rate onto the target shard; keep it under what the target's capacity (or max WCU) allows. */
  backfillItemsPerSecond: z.number().int().positive(),
  /** Cutover starts only once a barrier round trip through the replicator is faster than this. */
  catchUpLagMs: z.number().int().positive(),
  /** Beacon items written per barrier round; enough to land in every stream shard of the source table. */
  barrierBeacons: z.number().int().min(1).max(1000),
  /** A fence that cannot drain within this long is lifted and the cutover retried later. */
  cutoverTimeoutMs: z.number().int().positive(),
});
export type TenantMoveSettings = z.infer<typeof tenantMoveSettingsSchema>;

export const DEFAULT_TENANT_MOVE_SETTINGS: TenantMoveSettings = {
  fenceWaitMs: 2000,
  backfillItemsPerSecond: 2000,
  catchUpLagMs: 1000,
  barrierBeacons: 64,
  cutoverTimeoutMs: 1500,
};
