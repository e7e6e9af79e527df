// THE function manifest: one row per Lambda function. The CDK stacks create, size, wire and grant each function
// from its row; the environment builder (function-environment.ts) gives each exactly the variables its needs
// name; the embedded platform loads and triggers each from the same row; the deploy rehearsal invokes each
// shipped bundle by its trigger. Adding a function is one row here plus its handler file in lambdas/handlers/.
import type { QueueName } from './core/fairness/queue-names.js';
import { JOB_QUEUES, JOB_WORKER_TIMEOUT_SECONDS } from './queues.js';

/** What invokes a function. */
export type FunctionTrigger =
  /** API Gateway, on every route in routes.ts that names the function. */
  | { readonly kind: 'api' }
  /** API Gateway's TOKEN authorizer in front of the tenant routes. */
  | { readonly kind: 'authorizer' }
  /** A DynamoDB Streams event source on every shard table (at most two readers per stream: relay and replicator). */
  | { readonly kind: 'shard-streams' }
  /** SQS event sources on these job queues, each with its definition's batch size and maxConcurrency. */
  | { readonly kind: 'queues'; readonly queues: readonly QueueName[] }
  /** The migration runner's Step Functions loop. */
  | { readonly kind: 'state-machine' }
  /** An EventBridge schedule. */
  | { readonly kind: 'schedule' }
  /** EventBridge rules on CloudWatch alarm and CodeDeploy deployment state changes. */
  | { readonly kind: 'events' };

export type TriggerKind = FunctionTrigger['kind'];

/** Control-table access: the tenant directory and tokens (read), everything (read-write), or leading-key-scoped updates. */
export interface ControlNeeds {
  readonly access?: 'read' | 'read-write';
  /** Items the function may write although it only reads the rest, by leading key (`dynamodb:LeadingKeys`). */
  readonly items?: { readonly actions: readonly ('GetItem' | 'PutItem' | 'UpdateItem')[]; readonly leadingKeys: readonly string[] };
}

/** What a function needs; each need names both its grants (lib/function-grants.ts) and its environment variables. */
export interface FunctionNeeds {
  /** The runtime settings and the shard topology every request and background function reads. */
  readonly platform?: boolean;
  readonly shards?: 'read' | 'read-write';
  readonly control?: ControlNeeds;
  /** Job queues: `send` to the main and overflow queues, `inspect` them and their dead-letter queues (depth, age, redrive). */
  readonly jobQueues?: 'send' | 'inspect';
  /** The per-tier admission token buckets (the relay). */
  readonly admission?: boolean;
  /** The HMAC key that signs pagination cursors. */
  readonly cursorKey?: boolean;
  /** Issues each tenant an API key on its tier's usage plan. */
  readonly usageKeys?: boolean;
  /** The search domain: `query` (read endpoints), `index` (write generations), `preflight` (domain and cluster health). */
  readonly search?: readonly ('query' | 'index' | 'preflight')[];
  /** The LLM routing settings (`settings`), and calling the configured models too (`invoke`). */
  readonly llm?: 'settings' | 'invoke';
  /** Starts the migration runner for a migration. */
  readonly startMigrations?: boolean;
  /** The synthetic canary's API URL, token secret and deadline. */
  readonly canary?: boolean;
  /** The aliases the rollback action may move back, and its window. */
  readonly releases?: boolean;
  /** The derived-data reconciler's pacing (items per second, pass interval, settle time). */
  readonly repair?: boolean;
}

export interface FunctionDefinition {
  /** Also the handler file `lambdas/handlers/<name>.ts` and the construct id: a contract, chosen once. */
  readonly name: FunctionName;
  readonly description: string;
  readonly trigger: FunctionTrigger;
  readonly needs: FunctionNeeds;
  /** @default - the API runtime's timeout (`runtime.timeoutSeconds`, under API Gateway's 29 s) */
  readonly timeoutSeconds?: number;
  /** @default - `runtime.memoryMb` */
  readonly memoryMb?: number;
  /**
   * Concurrency set aside when `runtime.reservedConcurrency` is on (off by default: a new account's limit is too low).
   * @default - the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;
  /**
   * Why the embedded platform does not run this function (its local twin, if any). Every other function runs there.
   * @default - it runs on the embedded platform, triggered as on AWS
   */
  readonly notEmbedded?: string;
}

export type FunctionName =
  | 'authorizer'
  | 'create-conversation'
  | 'list-conversations'
  | 'get-conversation'
  | 'create-comment'
  | 'delete-conversation'
  | 'healthz'
  | 'get-usage'
  | 'suggest-reply'
  | 'search'
  | 'admin-tenants'
  | 'admin-flags'
  | 'admin-queues'
  | 'admin-migrations'
  | 'admin-moves'
  | 'admin-llm'
  | 'relay'
  | 'move-replicator'
  | 'job-worker'
  | 'migration-step'
  | 'heartbeat-canary'
  | 'repair'
  | 'rollback-action';

/** Functions API Gateway invokes: the route handlers and the authorizer. */
export type ApiFunctionName = Exclude<
  FunctionName,
  'relay' | 'move-replicator' | 'job-worker' | 'migration-step' | 'heartbeat-canary' | 'repair' | 'rollback-action'
>;

/** Functions that routes name (every API function but the authorizer). */
export type RouteFunctionName = Exclude<ApiFunctionName, 'authorizer'>;

const api = { kind: 'api' } as const;
/** A tenant request: it resolves the caller through the tenant directory. */
const tenantReads: FunctionNeeds = { platform: true, control: { access: 'read' } };
/** An operator request (IAM on AWS): tenants, tokens, flags and migrations live in the control table. */
const adminWrites: FunctionNeeds = { platform: true, control: { access: 'read-write' } };

/**
 * Under the schedule's 15-minute period (lib/constructs/derived-data-repair.ts), so runs do not overlap (a pass save
 * is conditional anyway): each continues the current pass for this long at the configured items per second, and a
 * tenant is checked whole within one run, so up to ~165,000 items per tenant at the default 200 per second.
 */
export const REPAIR_TIMEOUT_SECONDS = 840;

/** Five minutes: one step backfills a long page or runs a cutover without being cut short (Lambda allows 15). */
const MIGRATION_STEP_TIMEOUT_SECONDS = 300;

export const FUNCTIONS: readonly FunctionDefinition[] = [
  { name: 'authorizer', description: 'bearer token → tenant', trigger: { kind: 'authorizer' }, needs: tenantReads },
  { name: 'create-conversation', description: 'POST /v1/conversations', trigger: api, needs: { ...tenantReads, shards: 'read-write' } },
  {
    name: 'list-conversations',
    description: 'GET /v1/conversations',
    trigger: api,
    needs: { ...tenantReads, shards: 'read', cursorKey: true },
  },
  {
    name: 'get-conversation',
    description: 'GET /v1/conversations/{id}',
    trigger: api,
    needs: { ...tenantReads, shards: 'read', cursorKey: true },
  },
  {
    name: 'create-comment',
    description: 'POST /v1/conversations/{id}/comments',
    trigger: api,
    needs: { ...tenantReads, shards: 'read-write' },
  },
  {
    name: 'delete-conversation',
    description: 'DELETE /v1/conversations/{id}',
    trigger: api,
    needs: { ...tenantReads, shards: 'read-write' },
  },
  { name: 'healthz', description: 'GET /healthz, no token', trigger: api, needs: {} },
  { name: 'get-usage', description: 'GET /v1/usage', trigger: api, needs: tenantReads },
  {
    name: 'suggest-reply',
    description: 'POST /v1/conversations/{id}/suggest-reply',
    trigger: api,
    // It may write nothing in the control table but its tenants' daily token counts.
    needs: {
      ...tenantReads,
      control: { access: 'read', items: { actions: ['UpdateItem'], leadingKeys: ['LLMTOKENS#*'] } },
      shards: 'read',
      llm: 'invoke',
    },
  },
  {
    name: 'search',
    description: 'GET /v1/search',
    trigger: api,
    // Shadow-read counters (`MIGRATION#<id>` / `SHADOW`) are the only control-table items search may write.
    needs: {
      ...tenantReads,
      control: { access: 'read', items: { actions: ['UpdateItem'], leadingKeys: ['MIGRATION#*'] } },
      cursorKey: true,
      search: ['query'],
    },
  },
  {
    name: 'admin-tenants',
    description: 'tenants, tokens, status',
    trigger: api,
    needs: { ...adminWrites, cursorKey: true, usageKeys: true },
  },
  { name: 'admin-flags', description: 'feature flags', trigger: api, needs: adminWrites },
  { name: 'admin-queues', description: 'job queue depths and redrive', trigger: api, needs: { ...adminWrites, jobQueues: 'inspect' } },
  {
    name: 'admin-migrations',
    description: 'search generations and index migrations',
    trigger: api,
    needs: { ...adminWrites, search: ['preflight'], startMigrations: true },
  },
  // The function reads shard tables only to report their size.
  {
    name: 'admin-moves',
    description: 'shards and tenant moves',
    trigger: api,
    needs: { ...adminWrites, shards: 'read', startMigrations: true },
  },
  { name: 'admin-llm', description: 'LLM routes and drains', trigger: api, needs: { ...adminWrites, llm: 'settings' } },
  {
    name: 'relay',
    description: 'shard streams → fair job queues',
    trigger: { kind: 'shard-streams' },
    // A batch of 100 changes: a directory lookup per tenant (mostly cached) and batched sends, with room for retries.
    timeoutSeconds: 30,
    needs: { ...tenantReads, jobQueues: 'send', admission: true },
  },
  {
    name: 'move-replicator',
    description: "applies moving tenants' changes to their other shard",
    trigger: { kind: 'shard-streams' },
    timeoutSeconds: 60,
    needs: { platform: true, shards: 'read-write', control: { access: 'read-write' } },
  },
  {
    name: 'job-worker',
    description: 'usage metering, search indexing, conversation summaries',
    trigger: { kind: 'queues', queues: ['jobs', 'jobs-overflow'] },
    // Above its longest step: a summary may use the whole background LLM deadline, with metering and indexing beside it.
    timeoutSeconds: JOB_WORKER_TIMEOUT_SECONDS,
    // Exactly what its event sources may use together: other functions cannot starve it, nor it them.
    reservedConcurrency: JOB_QUEUES.reduce((sum, queue) => sum + queue.maxConcurrency, 0),
    needs: { platform: true, shards: 'read-write', control: { access: 'read-write' }, search: ['index'], llm: 'invoke' },
  },
  {
    name: 'migration-step',
    description: 'advances one migration (index migrations, tenant moves)',
    trigger: { kind: 'state-machine' },
    timeoutSeconds: MIGRATION_STEP_TIMEOUT_SECONDS,
    // One step at a time per execution; a few executions (a search migration and moves) side by side.
    reservedConcurrency: 10,
    needs: { platform: true, shards: 'read-write', control: { access: 'read-write' }, search: ['index', 'preflight'] },
  },
  {
    name: 'heartbeat-canary',
    description: 'one synthetic round trip through the public API',
    trigger: { kind: 'schedule' },
    // No timeout of its own: the canary construct sets its deadline (config) plus the time to publish the outcome.
    memoryMb: 256,
    needs: { canary: true },
    notEmbedded:
      'its token lives in Secrets Manager; locally local/heartbeat-canary-loop.ts runs the same core (runHeartbeatCanary) as the canary tenant',
  },
  {
    name: 'repair',
    description: 'paced repair of derived data (search documents, usage counters) from the source of truth',
    trigger: { kind: 'schedule' },
    timeoutSeconds: REPAIR_TIMEOUT_SECONDS,
    // It writes usage counters and markers and its passes in the control table, and only ever reads the shards.
    needs: { platform: true, shards: 'read', control: { access: 'read-write' }, search: ['index'], repair: true },
  },
  {
    name: 'rollback-action',
    description: 'moves recently released aliases back when customers cannot write',
    trigger: { kind: 'events' },
    // A few Lambda and DynamoDB calls per released function.
    timeoutSeconds: 60,
    memoryMb: 256,
    // The release ledger's keys only: this function never reads tenants, tokens or flags.
    needs: {
      control: { items: { actions: ['GetItem', 'PutItem', 'UpdateItem'], leadingKeys: ['RELEASE', 'ROLLBACK#*'] } },
      releases: true,
    },
    notEmbedded: 'there are no CodeDeploy releases or Lambda aliases locally; the heartbeat monitor only reports',
  },
];

/** CloudFormation metadata naming a function's row: lib/ sets it, the rehearsal and the tests find functions by it. */
export const FUNCTION_METADATA_KEY = 'headroom:function';

const BY_NAME = new Map(FUNCTIONS.map((definition) => [definition.name, definition]));

/** One row of the manifest; throws for a name that has none. */
export function functionDefinition(name: string): FunctionDefinition {
  const definition = BY_NAME.get(name as FunctionName);
  if (!definition) throw new Error(`no function named ${name} in lambdas/functions.ts`);
  return definition;
}

/** The functions a trigger kind invokes, in manifest order. */
export const functionsTriggeredBy = (kind: TriggerKind): readonly FunctionDefinition[] =>
  FUNCTIONS.filter((definition) => definition.trigger.kind === kind);

/** The functions behind API Gateway: the route functions, then the authorizer. */
export const API_FUNCTION_NAMES = [...functionsTriggeredBy('api'), ...functionsTriggeredBy('authorizer')].map(
  (definition) => definition.name as ApiFunctionName,
);

/** Reserved concurrency the manifest asks for, summed: the account needs this plus Lambda's 100 unreserved. */
export const RESERVED_CONCURRENCY = FUNCTIONS.reduce((sum, definition) => sum + (definition.reservedConcurrency ?? 0), 0);
