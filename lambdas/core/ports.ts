// The ports core depends on. Adapters (DynamoDB, in-memory) implement them; core never sees an SDK.
import type { CommentView, ConversationView } from './api-contract.js';
import type { Tier } from './tenancy/tiers.js';
import type { FlagRecord } from './flags/flag-definitions.js';
import type { Job } from './jobs/jobs.js';
import type { MigrationKind, MigrationRecord, MigrationTenantRecord } from './migrations/migration-runner.js';
import type { GenerationRecord } from './search/search-generations.js';
import type { QueueName } from './fairness/queue-names.js';
import type { ShardName, TenantId, TenantProfile } from './tenancy/tenancy.js';

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A new time-ordered unique id (UUIDv7), so comment keys sort by creation. */
  next(): string;
}

export const systemClock: Clock = { now: () => new Date() };

/** A stored conversation: the view plus the bookkeeping every item carries. */
export interface ConversationRecord extends ConversationView {
  readonly deleted: boolean;
}

export interface CommentRecord extends CommentView {
  readonly deleted: boolean;
}

/**
 * A request's claim on an Idempotency-Key, written atomically with the change it protects, so a key is either
 * bound to exactly one committed change or to nothing.
 */
export interface IdempotencyClaim {
  readonly key: string;
  readonly requestHash: string;
  /** Epoch seconds after which the key may be reused. */
  readonly expiresAt: number;
  /** The response body to replay for a retry of the same request. */
  readonly response: string;
}

export type WriteOutcome =
  | { readonly kind: 'written' }
  | { readonly kind: 'replay'; readonly response: string }
  | { readonly kind: 'key-reused' }
  | { readonly kind: 'conversation-missing' };

/** The listing order: newest update first; a position is the sort key of the last item returned. */
export type ListPosition = string;

/** Conversation storage for one tenant on one shard; constructed per request from the tenant context. */
export interface ConversationStore {
  createConversation(conversation: ConversationRecord, claim?: IdempotencyClaim, now?: Date): Promise<WriteOutcome>;
  getConversation(conversationId: string): Promise<ConversationRecord | undefined>;
  listConversations(limit: number, after?: ListPosition): Promise<{ items: ConversationRecord[]; next?: ListPosition }>;
  addComment(comment: CommentRecord, claim?: IdempotencyClaim, now?: Date): Promise<WriteOutcome>;
  listComments(conversationId: string, limit: number, after?: string): Promise<{ items: CommentRecord[]; next?: string }>;
  /** Marks the conversation deleted (a tombstone, +1 version). False when it does not exist. */
  softDeleteConversation(conversationId: string, at: string): Promise<boolean>;
}

/** Feature flags as code reads them: the OpenFeature client satisfies this (the tenant comes from the transaction context). */
export interface FlagReader {
  getBooleanValue(key: string, defaultValue: boolean): Promise<boolean>;
}

/** String-valued flags (variants such as a search generation), read the same way. */
export interface StringFlagReader {
  getStringValue(key: string, defaultValue: string): Promise<string>;
}

/** Customer outcomes that page on-call when they stop: recorded once per committed create, never for a replay. */
export interface OutcomeRecorder {
  conversationCreated(tenantId: TenantId): void;
  commentCreated(tenantId: TenantId): void;
}

export interface TenantPage {
  readonly items: TenantProfile[];
  readonly next?: string;
}

/** Per-tenant API keys on the tier's usage plan: API Gateway throttles and meters each tenant by its key. */
export interface UsageKeys {
  /** Creates the tenant's key on its tier's plan and returns the key value. */
  issue(tenantId: TenantId, tier: Tier): Promise<string>;
}

/** The control table's view of tenants and tokens. */
export interface ControlStore {
  getTenant(tenantId: TenantId): Promise<TenantProfile | undefined>;
  /** Creates the profile and its token atomically; false when the tenant already exists. */
  createTenant(profile: TenantProfile): Promise<boolean>;
  listTenants(limit: number, after?: string): Promise<TenantPage>;
  countTenantsByShard(): Promise<Record<ShardName, number>>;
  /** The tenant a token hash belongs to, if any. */
  findTokenOwner(tokenHash: string): Promise<TenantId | undefined>;
  /** Replaces the tenant's token; the old hash stops resolving in the same transaction. */
  replaceToken(tenantId: TenantId, oldHash: string, newHash: string, at: string): Promise<boolean>;
}

export interface FlagAuditEntry {
  readonly key: string;
  readonly version: number;
  readonly at: string;
  /** Who made the change: the IAM principal on AWS, `local-admin` on the embedded platform. */
  readonly principal: string;
  readonly action: string;
  readonly reason?: string;
  readonly before: FlagRecord | null;
  readonly after: FlagRecord;
}

export type FlagWriteResult = { readonly ok: true } | { readonly ok: false; readonly currentVersion: number };

/** Flag definitions and their audit trail in the control table. */
export interface FlagStore {
  /** Every flag, with one Query. */
  loadAll(): Promise<FlagRecord[]>;
  get(key: string): Promise<FlagRecord | undefined>;
  /** Stores `next` only if the stored version is `expectedVersion` (0: no flag yet), together with its audit entry. */
  write(next: FlagRecord, expectedVersion: number, audit: FlagAuditEntry): Promise<FlagWriteResult>;
  /** Newest first. */
  history(key: string, limit: number): Promise<FlagAuditEntry[]>;
}

/** The job queues. Every send carries the job's group as MessageGroupId (SQS fair queues). */
export interface JobQueue {
  /** Sends jobs to `queue`; returns the jobs that still failed after retries (never silently dropped). */
  send(queue: QueueName, jobs: readonly Job[]): Promise<{ failed: Job[] }>;
}

export interface MinuteUsage {
  readonly minute: string;
  readonly conversations: number;
  readonly comments: number;
  readonly jobs: number;
}

/** Usage counters kept by the usage meter; each job (key + version) is counted at most once. */
export interface UsageStore {
  /** Counts `job` unless it was counted before; false for a duplicate. */
  count(job: Job): Promise<boolean>;
  /** Per-minute counts of one tenant, oldest first, for minutes in [from, to]. */
  tenantUsage(tenantId: TenantId, fromMinute: string, toMinute: string): Promise<MinuteUsage[]>;
  /** Jobs per group, summed over the given minutes. */
  groupJobs(minutes: readonly string[]): Promise<Record<string, number>>;
}

export interface QueueStatus {
  readonly queue: string;
  readonly visible: number;
  readonly inFlight: number;
  /** Age of the oldest message in seconds, when known. */
  readonly oldestAgeSeconds: number | null;
}

/** Operator view of the job queues. */
export interface QueueInspector {
  status(): Promise<QueueStatus[]>;
  /** Moves a DLQ's messages back to the queue they came from; returns a task handle. */
  redrive(deadLetterQueue: string): Promise<{ taskHandle: string | null; movedMessages: number | null }>;
}

/** Migration state and per-tenant progress in the control table; every save is conditional on the version read. */
export interface MigrationStore {
  /** False when a migration with this id exists. */
  create(record: MigrationRecord<unknown>): Promise<boolean>;
  get(id: string): Promise<MigrationRecord | undefined>;
  /** Stores `record` only if the stored version is `expectedVersion`. */
  save(record: MigrationRecord<unknown>, expectedVersion: number): Promise<boolean>;
  list(kind?: MigrationKind): Promise<MigrationRecord[]>;
  getTenant(id: string, tenantId: string): Promise<MigrationTenantRecord | undefined>;
  /** Stores the tenant's progress only if its stored version is `expectedVersion` (0: none yet). */
  putTenant(record: MigrationTenantRecord<unknown>, expectedVersion: number): Promise<boolean>;
  listTenants(id: string): Promise<MigrationTenantRecord[]>;
}

/** The search generation registry (`SEARCHGEN` in the control table); writes are conditional on the version read. */
export interface SearchGenerationStore {
  list(): Promise<GenerationRecord[]>;
  /** Stores `record` only if the stored version is `expectedVersion` (0: new generation). */
  put(record: GenerationRecord, expectedVersion: number): Promise<boolean>;
}
