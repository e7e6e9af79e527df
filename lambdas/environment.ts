// The contract between infrastructure and runtime: lib/ sets these variables on every function, the embedded
// platform sets the same ones for itself, and the runtime reads them in exactly one place (lambdas/composition/platform.ts).
import * as z from 'zod';
import { llmSettingsSchema } from './llm-routes.js';

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
  /** JSON tenant-move settings (fence wait, backfill rate, catch-up gate, barrier beacons); see lib/config.ts `tenantMove`. */
  tenantMove: 'HEADROOM_TENANT_MOVE',
  /** ARN of the migration runner's state machine (AWS only), which moves and index migrations are started on. */
  migrationRunnerArn: 'HEADROOM_MIGRATION_RUNNER_ARN',
  /** JSON search engine settings (`searchEngineSchema`): OpenSearch on AWS, SQLite FTS5 locally. Unset: no search. */
  search: 'HEADROOM_SEARCH',
  /** JSON LlmSettings (lambdas/llm-routes.ts): routes, lanes, quotas, deadlines. Unset: no AI features. */
  llm: 'HEADROOM_LLM',
} as const;

export const TIERS = ['free', 'standard', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

export const shardTopologySchema = z
  .array(
    z.strictObject({
      name: z.string().regex(/^shard-[0-9]+$/),
      table: z.string().min(3),
      dedicatedTo: z.string().optional(),
    }),
  )
  .min(1);
export type ShardTopology = z.infer<typeof shardTopologySchema>;

/** The table behind a shard; a shard the topology does not name is a stale route or a bad config, never a guess. */
export function tableOfShard(topology: ShardTopology, shard: string): string {
  const table = topology.find((candidate) => candidate.name === shard)?.table;
  if (!table) throw new Error(`unknown shard ${shard}: ${ENV.shards} names ${topology.map((s) => s.name).join(', ')}`);
  return table;
}

/** The shard a table serves, if the topology has it. */
export const shardOfTable = (topology: ShardTopology, table: string): string | undefined =>
  topology.find((candidate) => candidate.table === table)?.name;

/** How tenant moves pace themselves and how long a fenced write waits: config `tenantMove` and the runtime's copy. */
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

export const searchEngineSchema = z.discriminatedUnion('engine', [
  z.strictObject({
    engine: z.literal('opensearch'),
    endpoint: z.url(),
    region: z.string().min(1),
    indexPrefix: z.string().regex(/^[a-z0-9][a-z0-9-]{0,60}$/),
    shards: z.number().int().min(1),
    replicas: z.number().int().min(0),
    /** The domain's name, for pre-flight health checks before a migration starts or cuts over. */
    domainName: z.string().min(3).optional(),
  }),
  z.strictObject({ engine: z.literal('sqlite'), file: z.string().min(1) }),
]);
export type SearchEngineSettings = z.infer<typeof searchEngineSchema>;

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

export const runtimeEnvironmentSchema = z.object({
  shards: z.string().transform((raw, ctx) => {
    try {
      return shardTopologySchema.parse(JSON.parse(raw));
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `${ENV.shards} is not a valid shard topology: ${String(error)}` });
      return z.NEVER;
    }
  }),
  controlTable: z.string().min(3),
  directoryCacheSeconds: z.coerce.number().int().min(0).max(300).default(30),
  idempotencyTtlSeconds: z.coerce.number().int().min(60).default(86_400),
  defaultTier: z.enum(TIERS).default('standard'),
  /** How long an instance serves its copy of the flags before reloading (≤ 30 s keeps propagation < 60 s). */
  flagCacheSeconds: z.coerce.number().int().min(1).max(30).default(15),
  cursorSecretArn: z.string().optional(),
  jobQueues: jsonOf(z.record(z.string(), z.string().min(1)), ENV.jobQueues).optional(),
  admission: jsonOf(
    z.record(z.enum(TIERS), z.strictObject({ rate: z.number().positive(), burst: z.number().int().positive() })),
    ENV.admission,
  ).optional(),
  cursorKey: z.string().min(16).optional(),
  tenantMove: jsonOf(tenantMoveSettingsSchema, ENV.tenantMove).optional(),
  migrationRunnerArn: z.string().startsWith('arn:').optional(),
  llm: jsonOf(llmSettingsSchema, ENV.llm).optional(),
  search: jsonOf(searchEngineSchema, ENV.search).optional(),
  /** JSON `{ tier: usage plan name }`, set on AWS only; without it usage keys are local values. */
  usagePlans: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return undefined;
      const parsed = z.record(z.enum(TIERS), z.string().min(1)).safeParse(JSON.parse(raw));
      if (parsed.success && TIERS.every((tier) => parsed.data[tier])) return parsed.data as Record<Tier, string>;
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
