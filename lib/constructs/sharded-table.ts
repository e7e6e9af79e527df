// The N identically shaped shard tables that hold every tenant's conversations. A shard's construct id is its
// name (`shard-0`), never its position, so adding or retiring a shard can never rename (and so replace)
// another shard's table.
import type { RemovalPolicy } from 'aws-cdk-lib';
import { TableGrants, type CfnTable, type Table, type WarmThroughput } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { ShardTopology } from '../../lambdas/core/tenancy/shard-topology.js';
import { SHARD_TABLE, shardTableName } from '../../lambdas/schema.js';
import { SchemaTable } from './schema-table.js';

export interface ShardProps {
  /** `shard-<n>`; also the construct id of the shard's table. */
  readonly name: string;
  /**
   * The one tenant this shard is reserved for.
   * @default - shared: new tenants may be placed on it
   */
  readonly dedicatedTo?: string;
  /**
   * On-demand read ceiling for this shard.
   * @default - no ceiling beyond the account quota
   */
  readonly maxReadRequestUnits?: number;
  /**
   * On-demand write ceiling for this shard.
   * @default - no ceiling beyond the account quota
   */
  readonly maxWriteRequestUnits?: number;
  /**
   * Pre-warmed throughput, for a new dedicated shard about to receive a busy tenant.
   * @default - the on-demand starting point
   */
  readonly warmThroughput?: WarmThroughput;
}

export interface ShardedTableProps {
  readonly shards: readonly ShardProps[];
  /**
   * Each shard's table is named `<tablePrefix><shard name>`, so a function's environment carries the prefix once
   * rather than every table's name (its size stays flat however many shards there are), and two deployments in
   * one account and Region never share a name. Chosen once: renaming a table replaces it.
   */
  readonly tablePrefix: string;
  /**
   * CloudWatch Contributor Insights on each shard table: its most accessed and most throttled partition keys,
   * which name the tenant behind a hot partition (keys start with `T#<tenantId>#`).
   * @default true
   */
  readonly contributorInsights?: boolean;
  /**
   * What happens to the shard tables when they leave the stack (see SchemaTable).
   * @default RemovalPolicy.RETAIN, with deletion protection
   */
  readonly removalPolicy?: RemovalPolicy;
}

export interface Shard {
  readonly name: string;
  readonly table: Table;
  readonly dedicatedTo?: string;
}

export class ShardedTable extends Construct {
  readonly shards: readonly Shard[];
  private readonly tablePrefix: string;

  constructor(scope: Construct, id: string, props: ShardedTableProps) {
    super(scope, id);
    if (props.shards.length === 0) throw new Error('a sharded table needs at least one shard, got none');
    if (!/^[a-zA-Z0-9_.-]*$/.test(props.tablePrefix)) {
      throw new Error(`a table prefix holds only letters, digits, '_', '-' and '.', got ${JSON.stringify(props.tablePrefix)}`);
    }
    this.tablePrefix = props.tablePrefix;
    this.shards = props.shards.map(({ name, dedicatedTo, maxReadRequestUnits, maxWriteRequestUnits, warmThroughput }) => ({
      name,
      dedicatedTo,
      table: new SchemaTable(this, name, {
        definition: SHARD_TABLE,
        tableName: shardTableName(props.tablePrefix, name),
        maxReadRequestUnits,
        maxWriteRequestUnits,
        warmThroughput,
        removalPolicy: props.removalPolicy,
      }),
    }));
    if (props.contributorInsights ?? true) {
      for (const { table } of this.shards) {
        (table.node.defaultChild as CfnTable).contributorInsightsSpecification = { enabled: true };
      }
    }
  }

  /** Read every shard and query its indexes: a tenant may live on any shard. */
  grantReadData(grantee: IGrantable): Grant {
    return combine(this.shards.flatMap(({ table }) => [tableOnly(table).readData(grantee), grantIndexQuery(grantee, table)]));
  }

  /** Read and write every shard and query its indexes: a tenant may live on any shard. */
  grantReadWriteData(grantee: IGrantable): Grant {
    return combine(this.shards.flatMap(({ table }) => [tableOnly(table).readWriteData(grantee), grantIndexQuery(grantee, table)]));
  }

  /**
   * What the runtime reads from HEADROOM_SHARDS: each shard's name, physical table and dedication. The names are
   * literals, not references: a function's stack depends on the data stack through its grants, not its variables.
   */
  topology(): ShardTopology {
    return this.shards.map(({ name, dedicatedTo }) => ({
      name,
      table: shardTableName(this.tablePrefix, name),
      ...(dedicatedTo === undefined ? {} : { dedicatedTo }),
    }));
  }
}

/** Table grants without CDK's `<table>/index/*`: index access is granted by name below instead. */
function tableOnly(table: Table): TableGrants {
  return TableGrants.fromTable(table, undefined, false);
}

/** Indexes are only ever queried, and only the ones SHARD_TABLE defines: no wildcard on the table's ARN. */
function grantIndexQuery(grantee: IGrantable, table: Table): Grant {
  return Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:Query'],
    resourceArns: SHARD_TABLE.globalIndexes.map((index) => `${table.tableArn}/index/${index.name}`),
  });
}

function combine(grants: readonly Grant[]): Grant {
  const [first, ...rest] = grants as [Grant, ...Grant[]];
  return rest.reduce((all, grant) => all.combine(grant), first);
}
