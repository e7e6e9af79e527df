// The source of truth: the shard tables every tenant's conversations live in, and the control table (tenant
// directory, API tokens, flags, migrations). Nothing here is ever replaced or deleted by a deploy.
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CONTROL_TABLE } from '../../lambdas/schema.js';
import type { ShardConfig } from '../config.js';
import { SchemaTable } from '../constructs/schema-table.js';
import { ShardedTable } from '../constructs/sharded-table.js';

export interface DataStackProps extends StackProps {
  readonly shards: readonly ShardConfig[];
}

export class DataStack extends Stack {
  readonly shards: ShardedTable;
  readonly controlTable: SchemaTable;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    this.shards = new ShardedTable(this, 'Shards', { shards: props.shards });
    this.controlTable = new SchemaTable(this, 'Control', { definition: CONTROL_TABLE });
  }
}
