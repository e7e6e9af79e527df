// The one key schema. lib/ builds the CDK tables from these definitions and local/ issues CreateTable on
// DynamoDB Local from them, so the cloud and the laptop can never drift apart. A tenant's items always start
// with `T#<tenantId>#` so IAM `dynamodb:LeadingKeys` conditions can isolate tenants in infrastructure.

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

/** Physical table names used by the embedded platform (on AWS, CloudFormation names the tables). */
export const localTableName = {
  shard: (shard: string): string => `headroom-${shard}`,
  control: 'headroom-control',
} as const;

const tenantPrefix = (tenantId: string): string => `T#${tenantId}#`;

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
} as const;

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
  flagAudit: (flagKey: string, at: string, version: number) => ({
    pk: `FLAGAUDIT#${flagKey}`,
    sk: `${at}#${String(version).padStart(10, '0')}`,
  }),
} as const;

/** The listing bucket of a conversation: fixed for its lifetime, spreads one tenant's index writes 8 ways. */
export function listingBucket(conversationId: string): number {
  let hash = 2166136261;
  for (let i = 0; i < conversationId.length; i++) {
    hash ^= conversationId.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return (hash >>> 0) % LISTING_BUCKETS;
}
