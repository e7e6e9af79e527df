// One typed configuration with defaults for the whole app, overridable from cdk.json context `headroom`.
// Plain data only (no CDK types) so the embedded platform reads the very same defaults. The blocks handed to
// functions are declared by their owners (schema + default) and only composed here, so the synth and the runtime
// validate them alike.
import * as z from 'zod';
import {
  canaryDeadlineSecondsSchema,
  canaryRetentionHoursSchema,
  rollbackWindowMinutesSchema,
} from '../lambdas/core/operations/operations-settings.js';
import { DEFAULT_IDEMPOTENCY_TTL_HOURS, idempotencyTtlHoursSchema } from '../lambdas/core/conversations/conversation-settings.js';
import { admissionSettingsSchema, DEFAULT_ADMISSION_SETTINGS } from '../lambdas/core/fairness/admission-settings.js';
import { DEFAULT_FLAG_CACHE_SECONDS, flagCacheSecondsSchema } from '../lambdas/core/flags/flag-settings.js';
import { DEFAULT_TENANT_MOVE_SETTINGS, tenantMoveSettingsSchema } from '../lambdas/core/moves/tenant-move-settings.js';
import { indexReplicasSchema, indexShardsSchema } from '../lambdas/core/search/search-engine-settings.js';
import { shardNameSchema } from '../lambdas/core/tenancy/shard-topology.js';
import { DEFAULT_DIRECTORY_CACHE_SECONDS, DEFAULT_TIER, directoryCacheSecondsSchema } from '../lambdas/core/tenancy/tenancy-settings.js';
import { perTier, tierSchema } from '../lambdas/core/tenancy/tiers.js';
import { RESERVED_CONCURRENCY } from '../lambdas/functions.js';
import { DEFAULT_LLM_SETTINGS, llmSettingsSchema } from '../lambdas/core/llm/llm-settings.js';
import { DEFAULT_REPAIR_SETTINGS, repairSettingsSchema } from '../lambdas/core/repair/repair-settings.js';
import { alarmStageSchema, REPOSITORY_RUNBOOKS, runbookBaseUrlSchema } from './alarm-names.js';

/** Executions Lambda always keeps unreserved in an account (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). */
export const UNRESERVED_CONCURRENCY_FLOOR = 100;

const tierLimits = z.strictObject({
  /** Steady-state requests per second for one tenant (API Gateway usage plan throttle). */
  rateLimit: z.number().positive(),
  /** Burst bucket size for one tenant. */
  burstLimit: z.number().int().positive(),
  /** Requests per day for one tenant. */
  quotaPerDay: z.number().int().positive(),
});

const shardSchema = z.strictObject({
  name: shardNameSchema,
  /** A dedicated shard holds exactly this tenant; new tenants are never placed on it. */
  dedicatedTo: z.string().optional(),
  /** Optional on-demand ceiling for the shard (protects the account-level quota). */
  maxWriteRequestUnits: z.number().int().positive().optional(),
  maxReadRequestUnits: z.number().int().positive().optional(),
  /**
   * Pre-warm: throughput the shard (table and listing index) serves from its first second, for a new dedicated
   * shard about to receive a busy tenant. On-demand tables already start at 4,000 writes / 12,000 reads per second.
   */
  warmThroughput: z
    .strictObject({
      writeUnitsPerSecond: z.number().int().min(4000, 'warm write throughput starts at 4000 (the on-demand default)').optional(),
      readUnitsPerSecond: z.number().int().min(12000, 'warm read throughput starts at 12000 (the on-demand default)').optional(),
    })
    .refine((warm) => warm.writeUnitsPerSecond !== undefined || warm.readUnitsPerSecond !== undefined, {
      message: 'name writeUnitsPerSecond, readUnitsPerSecond or both',
    })
    .optional(),
});

const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const configSchema = z
  .strictObject({
    shards: z.array(shardSchema).min(1),
    tiers: perTier(tierLimits),
    defaultTier: tierSchema,
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
      directoryCacheSeconds: directoryCacheSecondsSchema,
      flagCacheSeconds: flagCacheSecondsSchema,
      idempotencyTtlHours: idempotencyTtlHoursSchema,
      memoryMb: z.number().int().min(128).max(10240),
      timeoutSeconds: z.number().int().min(1).max(29),
      /**
       * Apply the manifest's reserved concurrency (job worker, migration step). Off by default: Lambda keeps 100
       * executions unreserved, so the reservations need an account concurrency limit of their sum plus 100, and
       * new accounts start below that.
       */
      reserveConcurrency: z.boolean(),
      /** The account's Lambda concurrency limit in the region (Service Quotas L-B99A9384; 1,000 by default once raised). */
      accountConcurrencyLimit: z.number().int().min(10),
    }),
    /** The async path: admission to the main fair queue, and the queue alarm thresholds. */
    messaging: z.strictObject({
      /** Jobs per second (and burst) one tenant group may put on the main queue before its jobs overflow. */
      admission: admissionSettingsSchema,
      /** Alarm when quiet groups' oldest job is older than this. */
      quietGroupAgeAlarmSeconds: z.number().int().positive(),
      /** Alarm when the overflow queue's oldest job is older than this. */
      overflowAgeAlarmSeconds: z.number().int().positive(),
    }),
    /**
     * AI help (suggest-reply, summaries): named routes (provider + model + region, with concurrency and tokens per
     * minute), the routes each lane uses with weights, the background lane's share, tenant token quotas, deadlines.
     */
    llm: llmSettingsSchema,
    /** The OpenSearch domain behind search, and the defaults of index migrations (docs/runbooks/search-migration.md). */
    search: z.strictObject({
      /** Data nodes (a multiple of availabilityZones) and their instance type. */
      dataNodes: z.number().int().min(1),
      dataNodeInstanceType: z.string().regex(/^[a-z0-9]+\.[a-z0-9]+\.search$/, 'an OpenSearch instance type such as r7g.large.search'),
      /** Dedicated cluster-manager nodes (0: none; 3 recommended in production). */
      masterNodes: z
        .number()
        .int()
        .refine((n) => [0, 3, 5].includes(n), 'must be 0, 3 or 5'),
      masterNodeInstanceType: z.string().regex(/^[a-z0-9]+\.[a-z0-9]+\.search$/),
      /** EBS gp3 volume per data node. */
      volumeSizeGb: z.number().int().min(10).max(16_384),
      /** 1: one zone, zone awareness off (the trial profile); 2 or 3: zone awareness over that many zones. */
      availabilityZones: z.union([z.literal(1), z.literal(2), z.literal(3)]),
      /**
       * Multi-AZ with standby: three zones, one of them a hot standby that takes over within a minute. AWS refuses
       * it unless availabilityZones is 3, dataNodes a multiple of 3, masterNodes 3 and each shard has a multiple of
       * 3 copies (indexReplicas 2, 5).
       */
      multiAzWithStandby: z.boolean(),
      /** Primary shards and replicas of each generation's index. */
      indexShards: indexShardsSchema,
      indexReplicas: indexReplicasSchema,
      /** Alarm when any node has less free storage than this (keep it below volumeSizeGb). */
      freeStorageAlarmMb: z.number().int().positive(),
      /** Alarm when JVM memory pressure stays above this percentage. */
      jvmPressureAlarmPercent: z.number().min(50).max(100),
    }),
    /** Online tenant moves between shards (DESIGN.md §5, docs/runbooks/tenant-move.md). */
    tenantMove: tenantMoveSettingsSchema,
    /** Continuous repair of derived data from the source of truth (docs/runbooks/derived-data-repair.md). */
    repair: repairSettingsSchema,
    /** Paging on customer outcomes, the synthetic canary, and safe releases (DESIGN.md §6, docs/runbooks/heartbeat-alarm.md). */
    operations: z.strictObject({
      heartbeat: z.strictObject({
        /** Width of the anomaly-detection band, in standard deviations; wider pages less on ordinary dips. */
        bandWidth: z.number().positive().max(10),
        /** Fewer conversations (comments) created per minute than this is an outage, whatever the band learned. */
        conversationsFloorPerMinute: z.number().min(0),
        commentsFloorPerMinute: z.number().min(0),
        /** Minutes looked at, and how many of them must breach, before a heartbeat alarm fires. */
        evaluationMinutes: z.number().int().min(1).max(60),
        breachingMinutes: z.number().int().min(1).max(60),
      }),
      canary: z.strictObject({
        /** A synthetic tenant writing through the public API keeps the heartbeat alive on quiet nights. */
        enabled: z.boolean(),
        /** Minutes between runs (EventBridge schedule). */
        everyMinutes: z.number().int().min(1).max(60),
        /** A run fails unless its comment is applied (searchable) within this many seconds. */
        deadlineSeconds: canaryDeadlineSecondsSchema,
        /** Wait until the comment is searchable; off: the round trip ends at the comment's 201. */
        awaitSearch: z.boolean(),
        /** Failed (or missing) runs in a row that page. */
        failedRunsToAlarm: z.number().int().min(1).max(60),
        /** The canary deletes its own conversations once they have not been updated for this many hours. */
        retentionHours: canaryRetentionHoursSchema,
      }),
      deployment: z.strictObject({
        /** CodeDeploy canary: this share of traffic goes to the new version for `canaryMinutes`, then all of it. */
        canaryPercent: z.number().int().min(1).max(99),
        canaryMinutes: z.number().int().min(1).max(2880),
        /** Errors of the new version in one minute that stop and roll back a release. */
        maxVersionErrorsPerMinute: z.number().int().min(1),
        /** Share of the new version's invocations that must succeed (percent). */
        minVersionSuccessPercent: z.number().min(0).max(100),
        /** Also stop a release while customers cannot write; turn off only to fix forward during an outage. */
        gateOnHeartbeat: z.boolean(),
        /** The rollback action reverts a release that finished less than this many minutes before the heartbeat dropped. */
        rollbackWindowMinutes: rollbackWindowMinutesSchema,
      }),
      /** Every alarm is named `headroom-<stage>-<what>` and its description ends with its runbook (lib/alarm-names.ts). */
      alarms: z.strictObject({
        /** Tells this deployment's alarms from another's in the same account and Region (`prod`, `trial`). */
        stage: alarmStageSchema,
        /** Where the runbooks are read: docs/runbooks in the repository, or an https URL where that folder is published. */
        runbookBaseUrl: runbookBaseUrlSchema,
      }),
      /** Who the alarm topic notifies, besides the rollback action. */
      alarmSubscriptions: z.strictObject({
        emails: z.array(z.email()),
        httpsUrls: z.array(z.url({ protocol: /^https$/ })),
      }),
    }),
    /**
     * What `cdk destroy` leaves behind. `retain` (production): tables (with deletion protection), the search domain
     * and log groups outlive their stacks and are deleted by hand. `destroy` (trial): everything goes with its stack.
     */
    removalPolicy: z.enum(['retain', 'destroy']),
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
    checkSearchLayout(config.search, ctx);
    // Lambda refuses a reservation that leaves fewer than 100 executions unreserved in the account.
    const needed = RESERVED_CONCURRENCY + UNRESERVED_CONCURRENCY_FLOOR;
    if (config.runtime.reserveConcurrency && needed > config.runtime.accountConcurrencyLimit) {
      ctx.addIssue({
        code: 'custom',
        path: ['runtime', 'reserveConcurrency'],
        message:
          `reserving ${RESERVED_CONCURRENCY} executions needs an account concurrency limit of at least ${needed} ` +
          `(Lambda keeps ${UNRESERVED_CONCURRENCY_FLOOR} unreserved), but runtime.accountConcurrencyLimit is ` +
          `${config.runtime.accountConcurrencyLimit}: raise the quota first or leave reserveConcurrency off`,
      });
    }
    const { heartbeat, canary } = config.operations;
    if (heartbeat.breachingMinutes > heartbeat.evaluationMinutes) {
      ctx.addIssue({
        code: 'custom',
        path: ['operations', 'heartbeat', 'breachingMinutes'],
        message: `must not exceed evaluationMinutes (${heartbeat.evaluationMinutes}), got ${heartbeat.breachingMinutes}`,
      });
    }
    // A run still waiting when the next one starts would overlap it and blur which run failed.
    if (canary.deadlineSeconds >= canary.everyMinutes * 60) {
      ctx.addIssue({
        code: 'custom',
        path: ['operations', 'canary', 'deadlineSeconds'],
        message: `must be shorter than the schedule (${canary.everyMinutes * 60} s), got ${canary.deadlineSeconds}`,
      });
    }
  });

type SearchConfig = z.infer<typeof configSchema>['search'];

/**
 * Layouts CreateDomain refuses, refused at synth instead, each with its reason. Standby rules:
 * https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-multiaz.html (and the launch
 * post's prerequisites, https://aws.amazon.com/blogs/big-data/amazon-opensearch-service-now-supports-99-99-availability-using-multi-az-with-standby/).
 */
function checkSearchLayout(search: SearchConfig, ctx: z.RefinementCtx): void {
  const issue = (key: keyof SearchConfig, message: string) => ctx.addIssue({ code: 'custom', path: ['search', key], message });
  if (search.dataNodes % search.availabilityZones !== 0) {
    issue('dataNodes', `must be a multiple of availabilityZones (${search.availabilityZones}), got ${search.dataNodes}`);
  }
  if (search.freeStorageAlarmMb >= search.volumeSizeGb * 1024) {
    issue(
      'freeStorageAlarmMb',
      `must be below the ${search.volumeSizeGb * 1024} MB volume or the alarm never clears, got ${search.freeStorageAlarmMb}`,
    );
  }
  if (!search.multiAzWithStandby) return;
  const standby = 'multi-AZ with standby';
  if (search.availabilityZones !== 3) {
    issue('availabilityZones', `${standby} keeps a full copy in each of 3 zones: must be 3, got ${search.availabilityZones}`);
  }
  if (search.dataNodes % 3 !== 0) {
    issue('dataNodes', `${standby} spreads data nodes evenly over 3 zones: must be a multiple of 3, got ${search.dataNodes}`);
  }
  if (search.masterNodes !== 3) {
    issue('masterNodes', `${standby} requires 3 dedicated cluster-manager nodes, got ${search.masterNodes}`);
  }
  if ((search.indexReplicas + 1) % 3 !== 0) {
    issue('indexReplicas', `${standby} needs a multiple of 3 copies of each shard (indexReplicas 2 or 5), got ${search.indexReplicas}`);
  }
}

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
  defaultTier: DEFAULT_TIER,
  api: {
    stageName: 'v1',
    authorizerCacheSeconds: 60,
    throttleRateLimit: 5_000,
    throttleBurstLimit: 10_000,
    maxBodyBytes: 64 * 1024,
  },
  runtime: {
    directoryCacheSeconds: DEFAULT_DIRECTORY_CACHE_SECONDS,
    flagCacheSeconds: DEFAULT_FLAG_CACHE_SECONDS,
    idempotencyTtlHours: DEFAULT_IDEMPOTENCY_TTL_HOURS,
    memoryMb: 512,
    timeoutSeconds: 10,
    reserveConcurrency: false,
    accountConcurrencyLimit: 1000,
  },
  messaging: {
    admission: DEFAULT_ADMISSION_SETTINGS,
    quietGroupAgeAlarmSeconds: 60,
    overflowAgeAlarmSeconds: 900,
  },
  llm: DEFAULT_LLM_SETTINGS,
  search: {
    dataNodes: 2,
    dataNodeInstanceType: 'r7g.large.search',
    masterNodes: 3,
    masterNodeInstanceType: 'm7g.large.search',
    volumeSizeGb: 100,
    // Standby off: two zones with one replica already survive a zone loss, and standby would add a third r7g data
    // node (+50 % on data nodes) and a third copy of every shard. Turn it on (3 zones, 3 nodes, indexReplicas 2)
    // when the 99.99 % availability SLA is worth that.
    availabilityZones: 2,
    multiAzWithStandby: false,
    indexShards: 3,
    indexReplicas: 1,
    freeStorageAlarmMb: 20_480,
    jvmPressureAlarmPercent: 80,
  },
  tenantMove: DEFAULT_TENANT_MOVE_SETTINGS,
  repair: DEFAULT_REPAIR_SETTINGS,
  operations: {
    heartbeat: { bandWidth: 3, conversationsFloorPerMinute: 1, commentsFloorPerMinute: 1, evaluationMinutes: 5, breachingMinutes: 3 },
    canary: { enabled: true, everyMinutes: 1, deadlineSeconds: 45, awaitSearch: true, failedRunsToAlarm: 3, retentionHours: 24 },
    deployment: {
      canaryPercent: 10,
      canaryMinutes: 5,
      maxVersionErrorsPerMinute: 5,
      minVersionSuccessPercent: 99,
      gateOnHeartbeat: true,
      rollbackWindowMinutes: 30,
    },
    alarms: { stage: 'prod', runbookBaseUrl: REPOSITORY_RUNBOOKS },
    alarmSubscriptions: { emails: [], httpsUrls: [] },
  },
  removalPolicy: 'retain',
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

/** Named starting points, selected with `-c profile=<name>`; `headroom` overrides apply on top. */
export const PROFILE_NAMES = ['production', 'trial'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** What each profile changes in the defaults. */
export const PROFILES: Readonly<Record<ProfileName, ConfigOverrides>> = {
  production: {},
  // The whole app at its smallest, to try it in an account and throw it away: one shard, one small search node in
  // one zone (no cluster managers, no standby, no replicas to place), short log retention, alarms named
  // `headroom-trial-…` so they never read as production's, and `cdk destroy` deletes everything, tables and domain included.
  trial: {
    shards: [{ name: 'shard-0' }],
    search: {
      dataNodes: 1,
      dataNodeInstanceType: 't3.small.search',
      masterNodes: 0,
      volumeSizeGb: 10,
      availabilityZones: 1,
      multiAzWithStandby: false,
      indexShards: 1,
      indexReplicas: 0,
      freeStorageAlarmMb: 2048,
    },
    operations: { alarms: { stage: 'trial' } },
    removalPolicy: 'destroy',
    logRetentionDays: 7,
  },
};

/**
 * The `headroom` context as overrides: an object from cdk.json, or the JSON string `-c headroom='{…}'` passes
 * (the CLI hands `-c` values over as strings).
 */
export function parseHeadroomContext(raw: unknown): unknown {
  if (raw === undefined) return {};
  if (typeof raw !== 'string') return raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new Error(`invalid headroom config: -c headroom is not JSON: ${(error as Error).message} in ${raw}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`invalid headroom config: -c headroom must be a JSON object, got ${raw}`);
  }
  return parsed;
}

/** The profile's config (default `production`) with overrides on top, validated; throws naming the path at fault. */
export function resolveProfileConfig(profile: unknown = 'production', overrides: unknown = {}): HeadroomConfig {
  if (!(PROFILE_NAMES as readonly unknown[]).includes(profile)) {
    throw new Error(`invalid headroom config: unknown profile ${JSON.stringify(profile)}; valid profiles: ${PROFILE_NAMES.join(', ')}`);
  }
  return resolveConfig(merge(PROFILES[profile as ProfileName], overrides));
}

/** What a function's manifest row leaves to configuration: default memory and timeout, and whether reservations apply. */
export function functionRuntimeDefaults(config: HeadroomConfig): { memoryMb: number; timeoutSeconds: number; reserveConcurrency: boolean } {
  return {
    memoryMb: config.runtime.memoryMb,
    timeoutSeconds: config.runtime.timeoutSeconds,
    reserveConcurrency: config.runtime.reserveConcurrency,
  };
}
