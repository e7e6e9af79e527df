// The contract between infrastructure and runtime: lib/ sets these variables on every function, the embedded
// platform sets the same ones for itself, and the runtime reads them in exactly one place (lambdas/composition/platform.ts).
// Each settings block's schema and default are declared once, by its owner in core; lib/config.ts composes the
// same blocks, so a value the synth accepts is a value the runtime accepts.
import * as z from 'zod';
import { DEFAULT_IDEMPOTENCY_TTL_HOURS, idempotencyTtlHoursSchema } from './core/conversations/conversation-settings.js';
import { admissionSettingsSchema } from './core/fairness/admission-settings.js';
import { DEFAULT_FLAG_CACHE_SECONDS, flagCacheSecondsSchema } from './core/flags/flag-settings.js';
import { tenantMoveSettingsSchema } from './core/moves/tenant-move-settings.js';
import { searchEngineSchema } from './core/search/search-engine-settings.js';
import { decodeShardTopology } from './core/tenancy/shard-topology.js';
import { DEFAULT_DIRECTORY_CACHE_SECONDS, DEFAULT_TIER, directoryCacheSecondsSchema } from './core/tenancy/tenancy-settings.js';
import { perTier, tierSchema } from './core/tenancy/tiers.js';
import { llmSettingsSchema } from './core/llm/llm-settings.js';
import { repairSettingsSchema } from './core/repair/repair-settings.js';

export const ENV = {
  shards: 'HEADROOM_SHARDS',
  controlTable: 'HEADROOM_CONTROL_TABLE',
  directoryCacheSeconds: 'HEADROOM_DIRECTORY_CACHE_SECONDS',
  idempotencyTtlSeconds: 'HEADROOM_IDEMPOTENCY_TTL_SECONDS',
  defaultTier: 'HEADROOM_DEFAULT_TIER',
  cursorSecretArn: 'HEADROOM_CURSOR_SECRET_ARN',
  cursorKey: 'HEADROOM_CURSOR_KEY',
  usagePlans: 'HEADROOM_USAGE_PLANS',
  flagCacheSeconds: 'HEADROOM_FLAG_CACHE_SECONDS',
  /** JSON `{ "jobs": url, "jobs-overflow": url, "jobs-dlq": url, "jobs-overflow-dlq": url }`. */
  jobQueues: 'HEADROOM_JOB_QUEUES',
  /** JSON `{ tier: { rate, burst } }`: jobs per second a tenant group may put on the main queue. */
  admission: 'HEADROOM_ADMISSION',
  /** JSON TenantMoveSettings (lambdas/core/moves/tenant-move-settings.ts): fence wait, backfill rate, catch-up gate, beacons. */
  tenantMove: 'HEADROOM_TENANT_MOVE',
  /** ARN of the migration runner's state machine (AWS only), which moves and index migrations are started on. */
  migrationRunnerArn: 'HEADROOM_MIGRATION_RUNNER_ARN',
  /** JSON SearchEngineSettings (lambdas/core/search/search-engine-settings.ts): OpenSearch on AWS, SQLite FTS5 locally. Unset: no search. */
  search: 'HEADROOM_SEARCH',
  /** JSON LlmSettings (lambdas/core/llm/llm-settings.ts): routes, lanes, quotas, deadlines. Unset: no AI features. */
  llm: 'HEADROOM_LLM',
  /** JSON RepairSettings (lambdas/core/repair/repair-settings.ts): pass interval, items per second, settle time. */
  repair: 'HEADROOM_REPAIR_SETTINGS',
} as const;

/** An environment variable holding JSON, validated with `schema`; the error names the variable. */
export function jsonOf<T>(schema: z.ZodType<T>, name: string) {
  return z.string().transform((raw, ctx) => {
    try {
      return schema.parse(JSON.parse(raw));
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `${name} is not valid: ${String(error)}` });
      return z.NEVER;
    }
  });
}

/** A variable holding a number, validated with `schema`. */
const numberOf = (schema: z.ZodType<number, number>) => z.coerce.number().pipe(schema);

export const runtimeEnvironmentSchema = z.object({
  shards: z.string().transform((raw, ctx) => {
    try {
      return decodeShardTopology(raw);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `${ENV.shards} is not a valid shard topology: ${String(error)}` });
      return z.NEVER;
    }
  }),
  controlTable: z.string().min(3),
  directoryCacheSeconds: numberOf(directoryCacheSecondsSchema).default(DEFAULT_DIRECTORY_CACHE_SECONDS),
  // The variable carries seconds; its bounds are the config's, in hours.
  idempotencyTtlSeconds: z.coerce
    .number()
    .transform((seconds) => seconds / 3600)
    .pipe(idempotencyTtlHoursSchema)
    .transform((hours) => hours * 3600)
    .default(DEFAULT_IDEMPOTENCY_TTL_HOURS * 3600),
  defaultTier: tierSchema.default(DEFAULT_TIER),
  flagCacheSeconds: numberOf(flagCacheSecondsSchema).default(DEFAULT_FLAG_CACHE_SECONDS),
  cursorSecretArn: z.string().optional(),
  jobQueues: jsonOf(z.record(z.string(), z.string().min(1)), ENV.jobQueues).optional(),
  /** Unset: no admission control, every job goes to the main queue. */
  admission: jsonOf(admissionSettingsSchema, ENV.admission).optional(),
  cursorKey: z.string().min(16).optional(),
  tenantMove: jsonOf(tenantMoveSettingsSchema, ENV.tenantMove).optional(),
  migrationRunnerArn: z.string().startsWith('arn:').optional(),
  llm: jsonOf(llmSettingsSchema, ENV.llm).optional(),
  search: jsonOf(searchEngineSchema, ENV.search).optional(),
  repair: jsonOf(repairSettingsSchema, ENV.repair).optional(),
  /** JSON `{ tier: usage plan name }`, set on AWS only; without it usage keys are local values. */
  usagePlans: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return undefined;
      const parsed = perTier(z.string().min(1)).safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data;
      ctx.addIssue({ code: 'custom', message: `${ENV.usagePlans} must map every tier to a usage plan name` });
      return z.NEVER;
    }),
});
export type RuntimeEnvironment = z.infer<typeof runtimeEnvironmentSchema>;

export function readRuntimeEnvironment(env: NodeJS.ProcessEnv = process.env): RuntimeEnvironment {
  const raw = Object.fromEntries(Object.entries(ENV).map(([field, name]) => [field, env[name]]));
  const parsed = runtimeEnvironmentSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid runtime environment: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
