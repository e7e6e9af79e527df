// One typed configuration with defaults for the whole app, overridable from cdk.json context `headroom`.
// Plain data only (no CDK types) so the embedded platform reads the very same defaults.
import * as z from 'zod';
import { TIERS } from '../lambdas/environment.js';

const tierLimits = z.strictObject({
  /** Steady-state requests per second for one tenant (API Gateway usage plan throttle). */
  rateLimit: z.number().positive(),
  /** Burst bucket size for one tenant. */
  burstLimit: z.number().int().positive(),
  /** Requests per day for one tenant. */
  quotaPerDay: z.number().int().positive(),
});

const shardSchema = z.strictObject({
  name: z.string().regex(/^shard-[0-9]+$/, 'shard names look like shard-<n>'),
  /** A dedicated shard holds exactly this tenant; new tenants are never placed on it. */
  dedicatedTo: z.string().optional(),
  /** Optional on-demand ceiling for the shard (protects the account-level quota). */
  maxWriteRequestUnits: z.number().int().positive().optional(),
  maxReadRequestUnits: z.number().int().positive().optional(),
});

const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const configSchema = z
  .strictObject({
    shards: z.array(shardSchema).min(1),
    tiers: z.strictObject(Object.fromEntries(TIERS.map((tier) => [tier, tierLimits])) as Record<(typeof TIERS)[number], typeof tierLimits>),
    defaultTier: z.enum(TIERS),
    api: z.strictObject({
      stageName: z.string().regex(/^[a-zA-Z0-9_]+$/),
      /** How long API Gateway caches an authorizer decision for one token. */
      authorizerCacheSeconds: z.number().int().min(0).max(3600),
      /** Stage-wide throttle, the ceiling above every usage plan. */
      throttleRateLimit: z.number().positive(),
      throttleBurstLimit: z.number().int().positive(),
      maxBodyBytes: z.number().int().positive(),
    }),
    runtime: z.strictObject({
      directoryCacheSeconds: z.number().int().min(0).max(300),
      /** How long each instance serves its copy of the flags; at most 30 s so a change lands everywhere in < 60 s. */
      flagCacheSeconds: z.number().int().min(1).max(30),
      idempotencyTtlHours: z
        .number()
        .int()
        .min(1)
        .max(24 * 7),
      memoryMb: z.number().int().min(128).max(10240),
      timeoutSeconds: z.number().int().min(1).max(29),
    }),
    /** The async path: admission to the main fair queue, and the queue alarm thresholds. */
    messaging: z.strictObject({
      /** Jobs per second (and burst) one tenant group may put on the main queue before its jobs overflow. */
      admission: z.strictObject(
        Object.fromEntries(
          TIERS.map((tier) => [tier, z.strictObject({ rate: z.number().positive(), burst: z.number().int().positive() })]),
        ) as Record<(typeof TIERS)[number], z.ZodObject<{ rate: z.ZodNumber; burst: z.ZodNumber }>>,
      ),
      /** Alarm when quiet groups' oldest job is older than this. */
      quietGroupAgeAlarmSeconds: z.number().int().positive(),
      /** Alarm when the overflow queue's oldest job is older than this. */
      overflowAgeAlarmSeconds: z.number().int().positive(),
    }),
    /** CloudWatch Logs accepts only these retention periods; anything else fails at deploy time, so fail at synth. */
    logRetentionDays: z
      .number()
      .int()
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
      }),
  })
  .superRefine((config, ctx) => {
    const names = config.shards.map((shard) => shard.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate) ctx.addIssue({ code: 'custom', path: ['shards'], message: `shard ${duplicate} is listed twice` });
    if (config.shards.every((shard) => shard.dedicatedTo !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['shards'], message: 'at least one shard must be shared (not dedicated)' });
    }
  });

export type HeadroomConfig = z.infer<typeof configSchema>;
export type ShardConfig = HeadroomConfig['shards'][number];
export type TierLimits = HeadroomConfig['tiers'][keyof HeadroomConfig['tiers']];

export const DEFAULT_CONFIG: HeadroomConfig = {
  shards: [0, 1, 2, 3].map((n) => ({ name: `shard-${n}` })),
  tiers: {
    free: { rateLimit: 10, burstLimit: 20, quotaPerDay: 10_000 },
    standard: { rateLimit: 100, burstLimit: 200, quotaPerDay: 1_000_000 },
    enterprise: { rateLimit: 1_000, burstLimit: 2_000, quotaPerDay: 50_000_000 },
  },
  defaultTier: 'standard',
  api: {
    stageName: 'v1',
    authorizerCacheSeconds: 60,
    throttleRateLimit: 5_000,
    throttleBurstLimit: 10_000,
    maxBodyBytes: 64 * 1024,
  },
  runtime: { directoryCacheSeconds: 30, flagCacheSeconds: 15, idempotencyTtlHours: 24, memoryMb: 512, timeoutSeconds: 10 },
  messaging: {
    admission: {
      free: { rate: 5, burst: 20 },
      standard: { rate: 50, burst: 200 },
      enterprise: { rate: 200, burst: 1_000 },
    },
    quietGroupAgeAlarmSeconds: 60,
    overflowAgeAlarmSeconds: 900,
  },
  logRetentionDays: 30,
};

type DeepPartial<T> = T extends readonly (infer U)[] ? U[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
export type ConfigOverrides = DeepPartial<HeadroomConfig>;

function merge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (Array.isArray(override) || typeof override !== 'object' || override === null) return override;
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return override;
  const result: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(override)) result[key] = merge(result[key], value);
  return result;
}

/** Defaults overlaid with overrides (arrays replace, objects merge), validated; throws with the path at fault. */
export function resolveConfig(overrides: unknown = {}): HeadroomConfig {
  const parsed = configSchema.safeParse(merge(DEFAULT_CONFIG, overrides));
  if (!parsed.success) throw new Error(`invalid headroom config: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
