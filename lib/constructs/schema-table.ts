// A DynamoDB table built from one definition in lambdas/schema.ts, so the cloud table and the DynamoDB Local
// table can never disagree on keys or indexes. Every Headroom table holds customer data that cannot be
// recreated, so durability (PITR, deletion protection, retain on stack delete) is the default; only a throwaway
// deployment (the trial profile) asks for DESTROY, which also lifts deletion protection so the delete can succeed.
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
  type Attribute,
  type WarmThroughput,
} from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { TableDefinition } from '../../lambdas/schema.js';

export interface SchemaTableProps {
  /** Keys, global indexes, TTL attribute and whether the table streams its changes. */
  readonly definition: TableDefinition;
  /**
   * The table's physical name. A named table cannot be replaced in place: a change that needs a replacement
   * needs a new name.
   * @default - CloudFormation generates a name
   */
  readonly tableName?: string;
  /**
   * On-demand ceiling for reads, protecting the account-level throughput quota.
   * @default - no ceiling beyond the account quota
   */
  readonly maxReadRequestUnits?: number;
  /**
   * On-demand ceiling for writes, protecting the account-level throughput quota.
   * @default - no ceiling beyond the account quota
   */
  readonly maxWriteRequestUnits?: number;
  /**
   * Throughput the table and each of its global indexes serve from their first second (pre-warming).
   * @default - the on-demand starting point
   */
  readonly warmThroughput?: WarmThroughput;
  /**
   * What happens to the table when it leaves the stack. DESTROY also turns deletion protection off.
   * @default RemovalPolicy.RETAIN, with deletion protection
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class SchemaTable extends Table {
  constructor(scope: Construct, id: string, props: SchemaTableProps) {
    const { definition } = props;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    super(scope, id, {
      tableName: props.tableName,
      partitionKey: keyAttribute(definition, definition.partitionKey),
      sortKey: keyAttribute(definition, definition.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      maxReadRequestUnits: props.maxReadRequestUnits,
      maxWriteRequestUnits: props.maxWriteRequestUnits,
      warmThroughput: props.warmThroughput,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // KMS with the AWS managed key (aws/dynamodb) rather than the default owned key: every use of the key shows in
      // the account's CloudTrail, at no key fee and with no key policy to keep (Control Tower CT.DYNAMODB.PR.2).
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
      timeToLiveAttribute: definition.timeToLiveAttribute,
      // Consumers need the old image to tell a move or a tombstone from a fresh write.
      stream: definition.stream ? StreamViewType.NEW_AND_OLD_IMAGES : undefined,
    });
    for (const index of definition.globalIndexes) {
      this.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: keyAttribute(definition, index.partitionKey),
        sortKey: keyAttribute(definition, index.sortKey),
        projectionType: ProjectionType.ALL,
        warmThroughput: props.warmThroughput,
      });
    }
  }
}

function keyAttribute(definition: TableDefinition, name: string): Attribute {
  const type = definition.attributes[name];
  if (type === undefined) throw new Error(`table definition has no type for key attribute "${name}"`);
  return { name, type: type === 'S' ? AttributeType.STRING : AttributeType.NUMBER };
}
