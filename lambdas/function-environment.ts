// The one builder of a function's environment: the CDK stacks call it with CloudFormation tokens, the embedded
// platform and the deploy rehearsal with local values, so a function gets the same variables everywhere, and only
// the variables its manifest row needs. A need with nothing to satisfy it is an error here, not a cold-start crash.
import type { AdmissionSettings } from './core/fairness/admission-settings.js';
import type { TenantMoveSettings } from './core/moves/tenant-move-settings.js';
import type { SearchEngineSettings } from './core/search/search-engine-settings.js';
import { encodeShardTopology, type ShardTopology } from './core/tenancy/shard-topology.js';
import type { Tier } from './core/tenancy/tiers.js';
import { ENV } from './environment.js';
import type { FunctionDefinition } from './functions.js';
import type { LlmSettings } from './core/llm/llm-settings.js';
import type { RepairSettings } from './core/repair/repair-settings.js';
import { OPERATIONS_ENV } from './operations-contract.js';
import type { QueueName } from './core/fairness/queue-names.js';
import { METRICS_NAMESPACE, SERVICE_DIMENSION } from './telemetry.js';

/** Where the environment is for: a deployed function, or the embedded platform (which stands in for AWS-only services). */
export type EnvironmentTarget = 'aws' | 'embedded';

/** The runtime settings every platform function reads (declared with their defaults by their owners in core). */
export interface PlatformSettings {
  readonly directoryCacheSeconds: number;
  readonly flagCacheSeconds: number;
  readonly idempotencyTtlSeconds: number;
  readonly defaultTier: Tier;
  readonly tenantMove: TenantMoveSettings;
  readonly admission: AdmissionSettings;
  readonly llm: LlmSettings;
  readonly repair: RepairSettings;
}

export interface EnvironmentInputs {
  readonly target: EnvironmentTarget;
  /** Serialises a JSON value: `Stack.toJsonString` in CDK (the value holds tokens), `JSON.stringify` locally. */
  readonly json: (value: unknown) => string;
  readonly settings?: PlatformSettings;
  readonly shards?: ShardTopology;
  readonly controlTable?: string;
  /** Queue URLs by name: the job queues and their dead-letter queues. */
  readonly jobQueues?: Readonly<Record<QueueName | `${QueueName}-dlq`, string>>;
  /** The cursor-signing key: a Secrets Manager secret on AWS, the key itself locally. */
  readonly cursor?: { readonly secretArn: string } | { readonly key: string };
  /** Usage plan name per tier (AWS only: locally usage keys are local values). */
  readonly usagePlans?: Readonly<Record<Tier, string>>;
  readonly search?: SearchEngineSettings;
  /** The migration runner's state machine (AWS only: locally the in-process migration loop is woken directly). */
  readonly migrationRunnerArn?: string;
  readonly canary?: {
    readonly apiUrl: string;
    readonly tokenSecretArn: string;
    readonly deadlineSeconds: number;
    readonly awaitSearch: boolean;
    readonly retentionHours: number;
  };
  readonly releases?: {
    readonly targets: Readonly<Record<string, { readonly functionName: string; readonly aliasName: string }>>;
    readonly windowMinutes: number;
    readonly heartbeatAlarmName: string;
  };
}

/** Set on every function: Powertools' service and namespace, so metrics land where the alarms look. */
const POWERTOOLS_ENVIRONMENT = {
  POWERTOOLS_SERVICE_NAME: SERVICE_DIMENSION.service,
  POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
};

export function functionEnvironment(definition: FunctionDefinition, inputs: EnvironmentInputs): Record<string, string> {
  const { needs, name } = definition;
  const onAws = inputs.target === 'aws';
  const required = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`function ${name} needs ${what}, but none was given to its environment`);
    return value;
  };
  const env: Record<string, string> = { ...POWERTOOLS_ENVIRONMENT, ...(onAws ? { NODE_OPTIONS: '--enable-source-maps' } : {}) };
  const { json } = inputs;
  const settings = () => required(inputs.settings, 'the runtime settings');

  if (needs.platform) {
    Object.assign(env, {
      [ENV.shards]: encodeShardTopology(required(inputs.shards, 'the shard topology')),
      [ENV.controlTable]: required(inputs.controlTable, 'the control table'),
      [ENV.directoryCacheSeconds]: String(settings().directoryCacheSeconds),
      [ENV.flagCacheSeconds]: String(settings().flagCacheSeconds),
      [ENV.idempotencyTtlSeconds]: String(settings().idempotencyTtlSeconds),
      [ENV.defaultTier]: settings().defaultTier,
      // Writers need the fence wait; the move runner and replicator the pacing and barrier settings.
      [ENV.tenantMove]: JSON.stringify(settings().tenantMove),
    });
  } else if (needs.control) {
    env[ENV.controlTable] = required(inputs.controlTable, 'the control table');
  }
  if (needs.jobQueues) {
    const urls = required(inputs.jobQueues, 'the job queues');
    const names =
      needs.jobQueues === 'send'
        ? (['jobs', 'jobs-overflow'] as const)
        : (['jobs', 'jobs-overflow', 'jobs-dlq', 'jobs-overflow-dlq'] as const);
    env[ENV.jobQueues] = json(Object.fromEntries(names.map((queue) => [queue, urls[queue]])));
  }
  if (needs.admission) env[ENV.admission] = JSON.stringify(settings().admission);
  if (needs.cursorKey) {
    const cursor = required(inputs.cursor, 'the cursor key');
    if ('secretArn' in cursor) env[ENV.cursorSecretArn] = cursor.secretArn;
    else env[ENV.cursorKey] = cursor.key;
  }
  if (needs.usageKeys && onAws) env[ENV.usagePlans] = json(required(inputs.usagePlans, 'the usage plans'));
  if (needs.search) env[ENV.search] = json(required(inputs.search, 'the search engine'));
  if (needs.llm) env[ENV.llm] = JSON.stringify(settings().llm);
  if (needs.repair) env[ENV.repair] = JSON.stringify(settings().repair);
  if (needs.startMigrations && onAws) env[ENV.migrationRunnerArn] = required(inputs.migrationRunnerArn, 'the migration runner');
  if (needs.canary) {
    const canary = required(inputs.canary, 'the canary settings');
    Object.assign(env, {
      [OPERATIONS_ENV.canaryApiUrl]: canary.apiUrl,
      [OPERATIONS_ENV.canaryTokenSecretArn]: canary.tokenSecretArn,
      [OPERATIONS_ENV.canaryDeadlineSeconds]: String(canary.deadlineSeconds),
      [OPERATIONS_ENV.canaryAwaitSearch]: String(canary.awaitSearch),
      [OPERATIONS_ENV.canaryRetentionHours]: String(canary.retentionHours),
    });
  }
  if (needs.releases) {
    const releases = required(inputs.releases, 'the released aliases');
    Object.assign(env, {
      [OPERATIONS_ENV.releaseTargets]: json(releases.targets),
      [OPERATIONS_ENV.rollbackWindowMinutes]: String(releases.windowMinutes),
      [OPERATIONS_ENV.heartbeatAlarmName]: releases.heartbeatAlarmName,
    });
  }
  return env;
}

/**
 * Variables that exist on AWS only, because the embedded platform stands in for the service behind them: usage
 * plans (local usage keys), the migration runner (the in-process loop), the cursor secret (the key itself).
 */
export const AWS_ONLY_VARIABLES: Readonly<Record<string, string | null>> = {
  [ENV.usagePlans]: null,
  [ENV.migrationRunnerArn]: null,
  [ENV.cursorSecretArn]: ENV.cursorKey,
  NODE_OPTIONS: null,
};
