// The move replicator's wiring: a second, unfiltered, never-skipping reader on every shard stream, allowed to
// write every shard (a tenant may move between any two) and the control table (barrier log, move records).
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { testApp } from './headroom-test-app.js';
import { allows, idOf, mentions, statementsOfRole, type Json } from './template-queries.js';

describe('MoveReplicator', () => {
  const { messaging, data } = testApp({ shards: [{ name: 'shard-0' }, { name: 'shard-1' }, { name: 'shard-7', dedicatedTo: 'bigco' }] });
  const template = Template.fromStack(messaging);
  const replicatorId = idOf(messaging, messaging.moveReplicator.lambda);
  const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))
    .map((mapping) => mapping.Properties as Json)
    .filter((props) => mentions(props.FunctionName, replicatorId));

  it('reads every shard stream, in order, from the oldest record, reporting partial failures and never giving up on a batch', () => {
    expect(mappings).toHaveLength(3);
    for (const mapping of mappings) {
      expect(mapping).toMatchObject({
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 1000,
        ParallelizationFactor: 1,
        MaximumBatchingWindowInSeconds: 0,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      expect(mapping.MaximumRetryAttempts).toBeUndefined();
      expect(mapping.MaximumRecordAgeInSeconds).toBeUndefined();
      expect(mapping.FilterCriteria).toBeUndefined();
    }
    const streams = new Set(mappings.map((mapping) => JSON.stringify(mapping.EventSourceArn)));
    expect(streams.size).toBe(3);
  });

  it('may write every shard and the control table, and alarms when it falls behind', () => {
    const statements = statementsOfRole(messaging, messaging.moveReplicator.role);
    for (const shard of data.shards.shards) {
      const tableId = data.getLogicalId(shard.table.node.defaultChild as never);
      expect(statements.some((s) => s.actions.includes('dynamodb:PutItem') && s.resources.some((r) => mentions(r, tableId)))).toBe(true);
    }
    expect(allows(statements, 'dynamodb:UpdateItem', data.getLogicalId(data.controlTable.node.defaultChild as never))).toBe(true);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Threshold: 300_000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});
