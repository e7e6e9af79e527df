import { Template } from 'aws-cdk-lib/assertions';
import type { CfnTable, Table } from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import { CONTROL_TABLE, LISTING_INDEX, SHARD_TABLE, type TableDefinition } from '../../lambdas/schema.js';
import type { DataStack } from '../../lib/stacks/data-stack.js';
import { testApp } from './headroom-test-app.js';

const keySchema = (definition: TableDefinition) => [
  { AttributeName: definition.partitionKey, KeyType: 'HASH' },
  { AttributeName: definition.sortKey, KeyType: 'RANGE' },
];

const attributeDefinitions = (definition: TableDefinition) =>
  Object.entries(definition.attributes).map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));

const logicalId = (stack: DataStack, table: Table) => stack.getLogicalId(table.node.defaultChild as CfnTable);

/** The synthesized CloudFormation resource (with DeletionPolicy and friends) of one table. */
function tableResource(stack: DataStack, table: Table) {
  const resource = Template.fromStack(stack).toJSON().Resources[logicalId(stack, table)];
  expect(resource?.Type).toBe('AWS::DynamoDB::Table');
  return resource;
}

describe('DataStack', () => {
  it('builds one shard table per configured shard, four by default, plus the control table', () => {
    const { data, config } = testApp();
    expect(config.shards).toHaveLength(4);
    Template.fromStack(data).resourceCountIs('AWS::DynamoDB::Table', 5);
    expect(data.shards.shards.map((shard) => shard.name)).toEqual(['shard-0', 'shard-1', 'shard-2', 'shard-3']);
  });

  it.each([2, 6])('builds %i shard tables when the config lists that many shards', (count) => {
    const { data } = testApp({ shards: Array.from({ length: count }, (_, n) => ({ name: `shard-${n}` })) });
    Template.fromStack(data).resourceCountIs('AWS::DynamoDB::Table', count + 1);
    const streamed = Template.fromStack(data).findResources('AWS::DynamoDB::Table', {
      Properties: { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } },
    });
    expect(Object.keys(streamed)).toHaveLength(count);
  });

  it('builds every shard table from SHARD_TABLE: keys, on-demand, PITR, deletion protection, stream, GSI, TTL', () => {
    const { data } = testApp();
    for (const { table } of data.shards.shards) {
      const resource = tableResource(data, table);
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
      const props = resource.Properties;
      expect(props.KeySchema).toEqual(keySchema(SHARD_TABLE));
      expect(props.AttributeDefinitions).toHaveLength(attributeDefinitions(SHARD_TABLE).length);
      expect(props.AttributeDefinitions).toEqual(expect.arrayContaining(attributeDefinitions(SHARD_TABLE)));
      expect(props.BillingMode).toBe('PAY_PER_REQUEST');
      expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(props.DeletionProtectionEnabled).toBe(true);
      // KMS with the AWS managed key, so every use of the key is in CloudTrail (Control Tower CT.DYNAMODB.PR.2).
      expect(props.SSESpecification).toEqual({ SSEEnabled: true });
      expect(props.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
      expect(props.TimeToLiveSpecification).toEqual({ AttributeName: SHARD_TABLE.timeToLiveAttribute, Enabled: true });
      expect(props.GlobalSecondaryIndexes).toEqual(
        SHARD_TABLE.globalIndexes.map((index) => ({
          IndexName: index.name,
          KeySchema: keySchema({ ...SHARD_TABLE, partitionKey: index.partitionKey, sortKey: index.sortKey }),
          Projection: { ProjectionType: 'ALL' },
        })),
      );
      expect(props.OnDemandThroughput).toBeUndefined();
    }
  });

  it('builds the control table from CONTROL_TABLE: durable, with TTL, and without a stream or index', () => {
    const { data } = testApp();
    const resource = tableResource(data, data.controlTable);
    expect(resource.DeletionPolicy).toBe('Retain');
    const props = resource.Properties;
    expect(props.KeySchema).toEqual(keySchema(CONTROL_TABLE));
    expect(props.AttributeDefinitions).toEqual(expect.arrayContaining(attributeDefinitions(CONTROL_TABLE)));
    expect(props.BillingMode).toBe('PAY_PER_REQUEST');
    expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(props.DeletionProtectionEnabled).toBe(true);
    expect(props.SSESpecification).toEqual({ SSEEnabled: true });
    expect(props.TimeToLiveSpecification).toEqual({ AttributeName: CONTROL_TABLE.timeToLiveAttribute, Enabled: true });
    expect(props.StreamSpecification).toBeUndefined();
    expect(props.GlobalSecondaryIndexes).toBeUndefined();
  });

  it('deletes every table with its stack under the trial profile, deletion protection off so the delete succeeds', () => {
    const { data, config } = testApp({}, { profile: 'trial' });
    expect(config.removalPolicy).toBe('destroy');
    const tables = [...data.shards.shards.map((shard) => shard.table), data.controlTable];
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      const resource = tableResource(data, table);
      expect(resource.DeletionPolicy).toBe('Delete');
      expect(resource.UpdateReplacePolicy).toBe('Delete');
      expect(resource.Properties.DeletionProtectionEnabled).toBe(false);
      expect(resource.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
  });

  it("caps a shard's on-demand throughput only where the config asks for it", () => {
    const { data } = testApp({
      shards: [{ name: 'shard-0' }, { name: 'shard-1', maxWriteRequestUnits: 4000, maxReadRequestUnits: 12000 }],
    });
    const [uncapped, capped] = data.shards.shards;
    expect(tableResource(data, uncapped!.table).Properties.OnDemandThroughput).toBeUndefined();
    expect(tableResource(data, capped!.table).Properties.OnDemandThroughput).toEqual({
      MaxWriteRequestUnits: 4000,
      MaxReadRequestUnits: 12000,
    });
  });

  it('pre-warms a shard (table and listing index) only where the config asks for it', () => {
    const { data } = testApp({
      shards: [{ name: 'shard-0' }, { name: 'shard-1', dedicatedTo: 'acme', warmThroughput: { writeUnitsPerSecond: 20000 } }],
    });
    const [cold, warm] = data.shards.shards;
    expect(tableResource(data, cold!.table).Properties.WarmThroughput).toBeUndefined();
    const props = tableResource(data, warm!.table).Properties;
    expect(props.WarmThroughput).toEqual({ WriteUnitsPerSecond: 20000 });
    expect(props.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({ IndexName: LISTING_INDEX, WarmThroughput: { WriteUnitsPerSecond: 20000 } }),
    ]);
  });

  it('names shard tables by shard, so retiring one shard never replaces another', () => {
    const before = testApp({ shards: [{ name: 'shard-0' }, { name: 'shard-1' }, { name: 'shard-2' }] }).data;
    const after = testApp({ shards: [{ name: 'shard-0' }, { name: 'shard-2' }] }).data;
    const idOf = (stack: DataStack, name: string) => logicalId(stack, stack.shards.shards.find((shard) => shard.name === name)!.table);
    expect(idOf(after, 'shard-2')).toBe(idOf(before, 'shard-2'));
    expect(idOf(after, 'shard-0')).toBe(idOf(before, 'shard-0'));
    expect(logicalId(after, after.controlTable)).toBe(logicalId(before, before.controlTable));
  });

  it('publishes the shard topology the runtime expects: name, physical table, dedication', () => {
    const { data } = testApp({ shards: [{ name: 'shard-0' }, { name: 'shard-1', dedicatedTo: 'acme' }] });
    const topology = data.shards.topology();
    expect(topology.map(({ name, dedicatedTo }) => ({ name, dedicatedTo }))).toEqual([
      { name: 'shard-0', dedicatedTo: undefined },
      { name: 'shard-1', dedicatedTo: 'acme' },
    ]);
    expect(topology[1]!.table).toBe('headroom-prod-shard-1');
    Template.fromStack(data).hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'headroom-prod-shard-1' });
    expect(topology[0]).not.toHaveProperty('dedicatedTo');
  });
});
