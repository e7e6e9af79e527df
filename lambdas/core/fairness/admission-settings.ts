// Admission to the main fair queue, per tier: the token bucket each tenant group of that tier gets before its jobs
// overflow. Declared once, here: lib/config.ts `messaging.admission` validates and composes it, and the runtime
// reads it back (HEADROOM_ADMISSION) with the same schema.
import * as z from 'zod';
import { perTier } from '../tenancy/tiers.js';

export const admissionSettingsSchema = perTier(
  z.strictObject({
    /** Jobs per second one tenant group may put on the main queue. */
    rate: z.number().positive(),
    /** Jobs a group that was quiet may put there at once. */
    burst: z.number().int().positive(),
  }),
);
export type AdmissionSettings = z.infer<typeof admissionSettingsSchema>;

export const DEFAULT_ADMISSION_SETTINGS: AdmissionSettings = {
  free: { rate: 5, burst: 20 },
  standard: { rate: 50, burst: 200 },
  enterprise: { rate: 200, burst: 1_000 },
};
