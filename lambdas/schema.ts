// The one key schema. lib/ builds the CDK tables from these definitions and local/ issues CreateTable on
// DynamoDB Local from them, so the cloud and the laptop can never drift apart. A tenant's items always start
// with `T#<tenantId>#` so IAM `dynamodb:LeadingKeys` conditions can isolate tenants in infrastructure.
import { fnv1a32 } from './core/fnv-hash.js';

export type KeyType = 'S' | 'N';

export interface TableDefinition {
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly attributes: Readonly<Record<string, KeyType>>;
  readonly globalIndexes: readonly { readonly name: string; readonly partitionKey: string; readonly sortKey: string }[];
  readonly timeToLiveAttribute: string;
  readonly stream: boolean;
}

/** The listing index is write-sharded over this many buckets per tenant; a list reads all and merges. */
export const LISTING_BUCKETS = 8;
export const LISTING_INDEX = 'gsi1';

export const SHARD_TABLE: TableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  attributes: { pk: 'S', sk: 'S', gsi1pk: 'S', gsi1sk: 'S' },
  globalIndexes: [{ name: LISTING_INDEX, partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
  timeToLiveAttribute: 'expiresAt',
  stream: true,
};

export const CONTROL_TABLE: TableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  attributes: { pk: 'S', sk: 'S' },
  globalIndexes: [],
  timeToLiveAttribute: 'expiresAt',
  stream: false,
};

/**
 * A shard table's physical name, here and on AWS: `<prefix><shard name>`, so a function's environment names the
 * prefix once instead of every table (HEADROOM_SHARDS). On AWS the prefix is `headroom-<stage>-`.
 */
export const shardTableName = (prefix: string, shard: string): string => `${prefix}${shard}`;

/** Physical table names used by the embedded platform (on AWS, CloudFormation names the control table). */
export const localTableName = {
  shard: (shard: string): string => shardTableName('headroom-', shard),
  control: 'headroom-control',
} as const;

const TENANT = 'T#';
const PLACEMENT = 'PLACEMENT#';
const BEACON = '~BEACON#';
const tenantPrefix = (tenantId: string): string => `${TENANT}${tenantId}#`;

export const shardKeys = {
  tenantPrefix,
  conversation: (tenantId: string, conversationId: string) => ({
    pk: `${tenantPrefix(tenantId)}C#${conversationId}`,
    sk: 'META',
  }),
  comment: (tenantId: string, conversationId: string, commentId: string) => ({
    pk: `${tenantPrefix(tenantId)}C#${conversationId}`,
    sk: `M#${commentId}`,
  }),
  commentPrefix: 'M#',
  listing: (tenantId: string, bucket: number, updatedAt: string, conversationId: string) => ({
    gsi1pk: `${tenantPrefix(tenantId)}B#${bucket}`,
    gsi1sk: `${updatedAt}#${conversationId}`,
  }),
  listingPartition: (tenantId: string, bucket: number): string => `${tenantPrefix(tenantId)}B#${bucket}`,
  idempotency: (tenantId: string, key: string) => ({ pk: `${tenantPrefix(tenantId)}I#${key}`, sk: 'IDEMPOTENCY' }),
  /** A conversation's AI summary: derived data, in the conversation's own partition so it shares its tenant prefix. */
  summary: (tenantId: string, conversationId: string) => ({ pk: `${tenantPrefix(tenantId)}C#${conversationId}`, sk: 'SUMMARY' }),
  /**
   * The tenant's placement marker on this shard, one per listing bucket so a busy tenant's writes (each of which
   * checks the marker of its conversation's bucket) spread over eight items instead of queueing on one.
   */
  placement: (tenantId: string, bucket: number) => ({ pk: `${tenantPrefix(tenantId)}${PLACEMENT}${bucket}`, sk: 'PLACEMENT' }),
  /** A tenant-move barrier item: not a tenant item, expires by TTL; seeing it in a stream proves what came before was read. */
  beacon: (moveId: string, round: number, n: number) => ({ pk: `${BEACON}${moveId}#${round}#${n}`, sk: 'BEACON' }),
} as const;

/** What a shard table's partition key belongs to: a tenant (and whether it is that tenant's placement marker), or a beacon. */
export type ShardPartition =
  | { readonly kind: 'tenant'; readonly tenantId: string; readonly placement: boolean }
  | { readonly kind: 'beacon'; readonly moveId: string; readonly round: number; readonly n: number };

/** The inverse of `shardKeys` for partition keys; undefined for a key none of them builds. */
export function parseShardPartition(pk: string): ShardPartition | undefined {
  if (pk.startsWith(BEACON)) {
    // A move id may itself contain `#`: the round and the beacon's number are the last two parts.
    const parts = pk.slice(BEACON.length).split('#');
    const n = Number(parts.pop());
    const round = Number(parts.pop());
    if (!Number.isInteger(n) || !Number.isInteger(round)) return undefined;
    return { kind: 'beacon', moveId: parts.join('#'), round, n };
  }
  if (!pk.startsWith(TENANT)) return undefined;
  const end = pk.indexOf('#', TENANT.length);
  if (end <= TENANT.length) return undefined;
  return { kind: 'tenant', tenantId: pk.slice(TENANT.length, end), placement: pk.startsWith(PLACEMENT, end + 1) };
}

export const controlKeys = {
  tenant: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: 'PROFILE' }),
  tenantPrefix: 'TENANT#',
  token: (tokenHash: string) => ({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN' }),
  /** All flags share one partition so every instance loads them with a single Query. */
  flagPartition: 'FLAG',
  flag: (flagKey: string) => ({ pk: 'FLAG', sk: flagKey }),
  flagAuditPartition: (flagKey: string) => `FLAGAUDIT#${flagKey}`,
  /** One marker per counted job version, so a redelivered job is counted once; expires after the DLQ window. */
  usageMark: (tenantId: string, kind: string, key: string, v: number) => ({ pk: `USAGEMARK#${tenantId}#${kind}#${key}#${v}`, sk: 'MARK' }),
  tenantUsagePartition: (tenantId: string) => `USAGE#${tenantId}`,
  tenantUsage: (tenantId: string, minute: string) => ({ pk: `USAGE#${tenantId}`, sk: minute }),
  groupJobsPartition: (minute: string) => `JOBRATE#${minute}`,
  groupJobs: (minute: string, group: string) => ({ pk: `JOBRATE#${minute}`, sk: group }),
  /** AI tokens a tenant spent on one UTC day (the token quota's ledger). */
  llmTokens: (tenantId: string, day: string) => ({ pk: `LLMTOKENS#${tenantId}`, sk: day }),
  /** Operator drains of LLM routes, one partition so every instance reads them with one Query. */
  llmRoutePartition: 'LLMROUTE',
  llmRoute: (routeId: string) => ({ pk: 'LLMROUTE', sk: routeId }),
  migration: (id: string) => ({ pk: `MIGRATION#${id}`, sk: 'STATE' }),
  migrationPartition: (id: string) => `MIGRATION#${id}`,
  migrationTenant: (id: string, tenantId: string) => ({ pk: `MIGRATION#${id}`, sk: `TENANT#${tenantId}` }),
  /** Shadow-read counters and mismatch samples of a search migration. */
  migrationShadow: (id: string) => ({ pk: `MIGRATION#${id}`, sk: 'SHADOW' }),
  /** Every migration's id, in one partition, so listing them is one Query. */
  migrationIndex: (id: string) => ({ pk: 'MIGRATIONS', sk: id }),
  migrationIndexPartition: 'MIGRATIONS',
  /** Search index generations and their status (DESIGN.md §2). */
  searchGenerationPartition: 'SEARCHGEN',
  searchGeneration: (generation: string) => ({ pk: 'SEARCHGEN', sk: generation }),
  /** Derived-data repair passes, one partition so `repair status` reads them with one Query (time-ordered ids). */
  repairPassPartition: 'REPAIR',
  repairPass: (id: string) => ({ pk: 'REPAIR', sk: `PASS#${id}` }),
  /** The beacons of one tenant-move barrier round that the move replicators have read past. */
  moveBarrier: (moveId: string, round: number) => ({ pk: `MOVEBARRIER#${moveId}#${round}`, sk: 'SEEN' }),
  /** The last CodeDeploy release of each API function, one partition: the rollback action reads them with one Query. */
  releasePartition: 'RELEASE',
  release: (functionName: string) => ({ pk: 'RELEASE', sk: functionName }),
  /** Every rollback the rollback action made, per function, oldest first. */
  rollback: (functionName: string, at: string) => ({ pk: `ROLLBACK#${functionName}`, sk: at }),
  flagAudit: (flagKey: string, at: string, version: number) => ({
    pk: `FLAGAUDIT#${flagKey}`,
    sk: `${at}#${String(version).padStart(10, '0')}`,
  }),
} as const;

/** The listing bucket of a conversation: fixed for its lifetime, spreads one tenant's index writes 8 ways. */
export function listingBucket(conversationId: string): number {
  return fnv1a32(conversationId) % LISTING_BUCKETS;
}
