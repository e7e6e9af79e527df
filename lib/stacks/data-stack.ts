// The source of truth: the shard tables every tenant's conversations live in, and the control table (tenant
// directory, API tokens, flags, migrations). Nothing here is ever replaced or deleted by a deploy, and nothing is
// deleted with the stack unless the config says so (`removalPolicy: destroy`, the trial profile).
import { Stack, type RemovalPolicy, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CONTROL_TABLE } from '../../lambdas/schema.js';
import type { ShardConfig } from '../config.js';
import { SchemaTable } from '../constructs/schema-table.js';
import { ShardedTable } from '../constructs/sharded-table.js';

export interface DataStackProps extends StackProps {
  readonly shards: readonly ShardConfig[];
  /** Each shard table is named `<shardTablePrefix><shard name>` (see ShardedTable). */
  readonly shardTablePrefix: string;
  /**
   * What happens to every table when the stack is deleted.
   * @default RemovalPolicy.RETAIN, with deletion protection
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class DataStack extends Stack {
  readonly shards: ShardedTable;
  readonly controlTable: SchemaTable;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { removalPolicy } = props;
    this.shards = new ShardedTable(this, 'Shards', { shards: props.shards, tablePrefix: props.shardTablePrefix, removalPolicy });
    this.controlTable = new SchemaTable(this, 'Control', { definition: CONTROL_TABLE, removalPolicy });
  }
}
