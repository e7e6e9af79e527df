import { REPAIR_SCHEDULE_MINUTES } from '../../lib/constructs/derived-data-repair.js';
import { REPAIR_TIMEOUT_SECONDS } from '../../lambdas/functions.js';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readRuntimeEnvironment } from '../../lambdas/environment.js';
import { CONSUMER_TIMEOUT_SECONDS, DLQ_RETENTION_DAYS, JOB_QUEUES } from '../../lambdas/queues.js';

const RELAY_FUNCTION = 'relay';
import type { HandlerFunction } from '../../lib/constructs/handler-function.js';
import type { MessagingStack } from '../../lib/stacks/messaging-stack.js';
import { STACK_NAMES } from '../../lib/stack-names.js';
import { testApp } from './headroom-test-app.js';
import { allows, idOf, mentions, refFor, resourceOf, runtimeView, statementsOfRole, type Json } from './template-queries.js';

const SEND = 'sqs:SendMessage';
const CONSUME = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'];

function resourcesOfType(stack: MessagingStack, type: string): [string, Json][] {
  return Object.entries(Template.fromStack(stack).findResources(type));
}

function mappingsOf(stack: MessagingStack, fn: HandlerFunction): Json[] {
  const functionId = idOf(stack, fn.lambda);
  return resourcesOfType(stack, 'AWS::Lambda::EventSourceMapping')
    .map(([, mapping]) => mapping.Properties)
    .filter((props) => mentions(props.FunctionName, functionId));
}

/** Logical ids of every queue in the stack, by role. */
function queueIds(stack: MessagingStack) {
  const { jobs, 'jobs-overflow': overflow } = stack.jobQueues;
  return {
    jobs: idOf(stack, jobs.queue),
    overflow: idOf(stack, overflow.queue),
    jobsDlq: idOf(stack, jobs.deadLetterQueue),
    overflowDlq: idOf(stack, overflow.deadLetterQueue),
    failedBatches: idOf(stack, stack.relay.failedBatches),
  };
}

describe('MessagingStack', () => {
  it('is deployed between the data and API stacks', () => {
    const { app, data, messaging, api } = testApp();
    const assembly = app.synth();
    const dependencies = (stack: MessagingStack | typeof data | typeof api) =>
      assembly.getStackArtifact(stack.artifactId).dependencies.map((artifact) => artifact.id);
    expect(messaging.stackName).toBe(STACK_NAMES.messaging);
    expect(dependencies(messaging)).toContain(data.artifactId);
    expect(dependencies(api)).toContain(messaging.artifactId);
    expect(dependencies(data)).not.toContain(messaging.artifactId);
    expect(dependencies(messaging)).not.toContain(api.artifactId);
  });
});

describe('MessagingStack queues', () => {
  const { messaging } = testApp();
  const ids = queueIds(messaging);
  const queues = resourcesOfType(messaging, 'AWS::SQS::Queue');

  it('builds each job queue of lambdas/queues.ts with its dead-letter queue, plus one for failed stream batches', () => {
    expect(Object.keys(messaging.jobQueues).sort()).toEqual(JOB_QUEUES.map((q) => q.name).sort());
    expect(queues.map(([id]) => id).sort()).toEqual(Object.values(ids).sort());
  });

  it('encrypts every queue with SQS-managed keys', () => {
    for (const [id, queue] of queues) expect({ id, sse: queue.Properties.SqsManagedSseEnabled }).toEqual({ id, sse: true });
  });

  it('refuses every request not made over TLS, on every queue', () => {
    const policies = resourcesOfType(messaging, 'AWS::SQS::QueuePolicy').map(([, policy]) => policy.Properties);
    for (const [id] of queues) {
      const policy = policies.find((p) => p.Queues.some((q: unknown) => mentions(q, id)));
      expect(policy?.PolicyDocument.Statement).toContainEqual({
        Action: 'sqs:*',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Resource: { 'Fn::GetAtt': [id, 'Arn'] },
      });
    }
  });

  it.each(JOB_QUEUES.map((definition) => [definition.name, definition] as const))(
    'moves a job of %s to its dead-letter queue after maxReceiveCount receives',
    (_name, definition) => {
      const jobQueue = messaging.jobQueues[definition.name];
      const queue = resourceOf(messaging, jobQueue.queue).Properties;
      expect(definition.maxReceiveCount).toBe(5);
      expect(queue.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [idOf(messaging, jobQueue.deadLetterQueue), 'Arn'] },
        maxReceiveCount: definition.maxReceiveCount,
      });
    },
  );

  it('keeps dead letters (and failed stream batches) for the contract retention, 14 days', () => {
    for (const id of [ids.jobsDlq, ids.overflowDlq, ids.failedBatches]) {
      const queue = queues.find(([queueId]) => queueId === id)![1];
      expect(queue.Properties.MessageRetentionPeriod).toBe(DLQ_RETENTION_DAYS * 24 * 3600);
      expect(queue.Properties.RedrivePolicy).toBeUndefined();
    }
  });

  it('hides a received job for at least 6 × the timeout of every function that consumes it', () => {
    const template = Template.fromStack(messaging).toJSON().Resources;
    const sqsMappings = resourcesOfType(messaging, 'AWS::Lambda::EventSourceMapping').filter(
      ([, mapping]) => mapping.Properties.StartingPosition === undefined,
    );
    expect(sqsMappings).toHaveLength(JOB_QUEUES.length);
    for (const [, { Properties: mapping }] of sqsMappings) {
      const queue = template[mapping.EventSourceArn['Fn::GetAtt'][0]];
      const consumer = template[mapping.FunctionName.Ref];
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(consumer.Properties.Timeout).toBe(CONSUMER_TIMEOUT_SECONDS);
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * consumer.Properties.Timeout);
    }
  });
});

describe('MessagingStack change relay', () => {
  const { messaging, data, config } = testApp({
    shards: [{ name: 'shard-0' }, { name: 'shard-1' }, { name: 'shard-2', dedicatedTo: 'acme' }],
  });
  const ids = queueIds(messaging);
  const relay = messaging.relay;

  it('reads every shard stream through its own event source', () => {
    const mappings = mappingsOf(messaging, relay);
    expect(mappings).toHaveLength(3);
    for (const shard of data.shards.shards) {
      const tableId = idOf(data, shard.table);
      expect(mappings.filter((m) => mentions(m.EventSourceArn, tableId) && mentions(m.EventSourceArn, 'StreamArn'))).toHaveLength(1);
    }
  });

  it('retries a failing stream batch by halves, reports item failures, and records what it gives up on', () => {
    for (const mapping of mappingsOf(messaging, relay)) {
      expect(mapping).toMatchObject({
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: 10,
        ParallelizationFactor: 1,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [ids.failedBatches, 'Arn'] } } },
      });
      // Gives up while the stream (24 h retention) still holds the records, so they can be re-read.
      expect(mapping.MaximumRecordAgeInSeconds).toBeGreaterThan(0);
      expect(mapping.MaximumRecordAgeInSeconds).toBeLessThanOrEqual(12 * 3600);
    }
  });

  it('keeps the event source of a shard when another shard is retired', () => {
    const before = testApp({ shards: [{ name: 'shard-0' }, { name: 'shard-1' }, { name: 'shard-2' }] }).messaging;
    const after = testApp({ shards: [{ name: 'shard-0' }, { name: 'shard-2' }] }).messaging;
    const mappingIds = (stack: MessagingStack) =>
      resourcesOfType(stack, 'AWS::Lambda::EventSourceMapping')
        .filter(([, mapping]) => mapping.Properties.StartingPosition === 'TRIM_HORIZON')
        .map(([id]) => id);
    const kept = mappingIds(after);
    // The relay and the move replicator each read the two remaining shards.
    expect(kept).toHaveLength(2 * 2);
    for (const id of kept) expect(mappingIds(before)).toContain(id);
  });

  it('sets the environment the runtime reads: shards, control table, main and overflow queues, admission', () => {
    const { env, refs } = runtimeView(resourceOf(messaging, relay.lambda).Properties.Environment.Variables);
    const runtime = readRuntimeEnvironment(env);
    expect(runtime.shards.map((s) => s.name)).toEqual(['shard-0', 'shard-1', 'shard-2']);
    expect(runtime.shards[2]!.dedicatedTo).toBe('acme');
    expect(mentions(refFor(refs, runtime.controlTable), idOf(data, data.controlTable))).toBe(true);
    expect(Object.keys(runtime.jobQueues!).sort()).toEqual(['jobs', 'jobs-overflow']);
    expect(mentions(refFor(refs, runtime.jobQueues!.jobs!), ids.jobs)).toBe(true);
    expect(mentions(refFor(refs, runtime.jobQueues!['jobs-overflow']!), ids.overflow)).toBe(true);
    expect(runtime.admission).toEqual(config.messaging.admission);
    expect(env).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'headroom', POWERTOOLS_METRICS_NAMESPACE: 'Headroom' });
  });

  it('passes the configured admission rates through unchanged', () => {
    const admission = { free: { rate: 1, burst: 3 }, standard: { rate: 7, burst: 70 }, enterprise: { rate: 500, burst: 5000 } };
    const { messaging: custom } = testApp({ messaging: { admission } });
    const { env } = runtimeView(resourceOf(custom, custom.relay.lambda).Properties.Environment.Variables);
    expect(readRuntimeEnvironment(env).admission).toEqual(admission);
  });

  it('lets the relay send to the main and overflow queues, but never consume a job or touch a dead-letter queue', () => {
    const statements = statementsOfRole(messaging, relay.role);
    expect(allows(statements, SEND, ids.jobs)).toBe(true);
    expect(allows(statements, SEND, ids.overflow)).toBe(true);
    for (const id of [ids.jobs, ids.overflow, ids.jobsDlq, ids.overflowDlq, ids.failedBatches]) {
      for (const action of CONSUME) expect({ id, action, allowed: allows(statements, action, id) }).toEqual({ id, action, allowed: false });
    }
    expect(allows(statements, SEND, ids.jobsDlq)).toBe(false);
    expect(allows(statements, SEND, ids.overflowDlq)).toBe(false);
    // Lambda itself records a failed batch with the function's role.
    expect(allows(statements, SEND, ids.failedBatches)).toBe(true);
  });

  it('lets the relay read each shard stream and the tenant directory, and write no table', () => {
    const statements = statementsOfRole(messaging, relay.role);
    for (const shard of data.shards.shards) {
      const stream = statements.filter((s) => s.resources.some((r) => mentions(r, idOf(data, shard.table)) && mentions(r, 'StreamArn')));
      expect(stream.flatMap((s) => s.actions)).toEqual(
        expect.arrayContaining(['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream']),
      );
    }
    expect(allows(statements, 'dynamodb:GetItem', idOf(data, data.controlTable))).toBe(true);
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) {
      expect(statements.some((s) => s.actions.includes(action))).toBe(false);
    }
    // Only ListStreams (account-level) and X-Ray may use "*".
    const wildcard = statements.filter((s) => s.resources.includes('*')).flatMap((s) => s.actions);
    expect(wildcard.sort()).toEqual(['dynamodb:ListStreams', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('builds the relay from its own entry point, nodejs22.x on arm64 with tracing', () => {
    expect(resourceOf(messaging, relay.role).Properties.Description).toBe(`Headroom ${RELAY_FUNCTION} function`);
    expect(resourceOf(messaging, relay.lambda).Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: idOf(messaging, relay.logGroup) } },
    });
    expect(resourceOf(messaging, relay.role).Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('MessagingStack job-worker consumer', () => {
  const { messaging, data } = testApp();
  const ids = queueIds(messaging);
  const meter = messaging.jobWorker;
  const mappings = mappingsOf(messaging, meter);
  const mappingFor = (queueId: string) => mappings.find((m) => mentions(m.EventSourceArn, queueId))!;

  it('drains the main queue with far more concurrency than the overflow queue, each as lambdas/queues.ts says', () => {
    expect(mappings).toHaveLength(2);
    for (const definition of JOB_QUEUES) {
      const mapping = mappingFor(idOf(messaging, messaging.jobQueues[definition.name].queue));
      expect(mapping).toMatchObject({
        BatchSize: definition.batchSize,
        ScalingConfig: { MaximumConcurrency: definition.maxConcurrency },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    }
    const main = mappingFor(ids.jobs).ScalingConfig.MaximumConcurrency;
    const overflow = mappingFor(ids.overflow).ScalingConfig.MaximumConcurrency;
    expect(overflow).toBeGreaterThanOrEqual(2);
    expect(main).toBeGreaterThanOrEqual(5 * overflow);
  });

  it('reserves at least the concurrency its event sources may use together, when reservations are on', () => {
    const reserving = testApp({ runtime: { reserveConcurrency: true } }).messaging;
    const total = mappings.reduce((sum, m) => sum + m.ScalingConfig.MaximumConcurrency, 0);
    expect(resourceOf(reserving, reserving.jobWorker.lambda).Properties.ReservedConcurrentExecutions).toBeGreaterThanOrEqual(total);
    // Off by default: the account's limit must have room for the reservation plus 100 unreserved executions.
    expect(resourceOf(messaging, meter.lambda).Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('times out at the consumer timeout the queues were sized for', () => {
    expect(resourceOf(messaging, meter.lambda).Properties.Timeout).toBe(CONSUMER_TIMEOUT_SECONDS);
  });

  it('lets the usage meter consume both job queues but send nothing and touch no dead-letter queue', () => {
    const statements = statementsOfRole(messaging, meter.role);
    for (const id of [ids.jobs, ids.overflow]) for (const action of CONSUME) expect(allows(statements, action, id)).toBe(true);
    expect(statements.some((s) => s.actions.includes(SEND))).toBe(false);
    for (const id of [ids.jobsDlq, ids.overflowDlq, ids.failedBatches])
      expect(statements.some((s) => mentions(s.resources, id))).toBe(false);
  });

  it('lets the job worker keep usage counters in the control table, read items from every shard and write summaries there', () => {
    const statements = statementsOfRole(messaging, meter.role);
    const control = idOf(data, data.controlTable);
    for (const action of ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'])
      expect(allows(statements, action, control)).toBe(true);
    for (const shard of data.shards.shards) {
      expect(allows(statements, 'dynamodb:GetItem', idOf(data, shard.table))).toBe(true);
      expect(allows(statements, 'dynamodb:PutItem', idOf(data, shard.table))).toBe(true);
    }
  });

  it('sets the environment the runtime reads', () => {
    const { env } = runtimeView(resourceOf(messaging, meter.lambda).Properties.Environment.Variables);
    const runtime = readRuntimeEnvironment(env);
    expect(runtime.shards).toHaveLength(4);
    expect(runtime.jobQueues).toBeUndefined();
  });
});

describe('MessagingStack alarms', () => {
  const { messaging, config } = testApp({ messaging: { quietGroupAgeAlarmSeconds: 45, overflowAgeAlarmSeconds: 600 } });
  const ids = queueIds(messaging);
  const alarms = resourcesOfType(messaging, 'AWS::CloudWatch::Alarm').map(([id, alarm]) => ({ id, ...alarm.Properties }));
  const onQueue = (alarm: Json, queueId: string) =>
    alarm.Namespace === 'AWS/SQS' && alarm.Dimensions.length === 1 && mentions(alarm.Dimensions[0], queueId);

  it('builds exactly the alarms the messaging stack exposes, each notifying the alarm topic (alarms-stack.test.ts)', () => {
    const exposed = [
      messaging.alarms.quietGroupAge,
      messaging.alarms.noisyGroups,
      messaging.alarms.overflowAge,
      ...messaging.alarms.deadLetters,
      messaging.alarms.moveReplicatorBehind,
      messaging.alarms.derivedDataDivergent,
    ];
    expect(alarms.map((a) => a.id).sort()).toEqual(exposed.map((alarm) => idOf(messaging, alarm)).sort());
    for (const alarm of alarms) expect(alarm.AlarmActions).toHaveLength(1);
    for (const alarm of alarms) expect(alarm.AlarmDescription).toMatch(/\w{5,}.*\w{5,}/);
  });

  it('runs the repair function on a schedule longer than its timeout, so runs never overlap', () => {
    expect(REPAIR_TIMEOUT_SECONDS).toBeLessThan(REPAIR_SCHEDULE_MINUTES * 60);
    const rules = resourcesOfType(messaging, 'AWS::Events::Rule').map(([, rule]) => rule.Properties);
    expect(rules.some((rule) => rule.ScheduleExpression === `rate(${REPAIR_SCHEDULE_MINUTES} minutes)`)).toBe(true);
  });

  it('pages when derived data stays divergent across two repair passes, and keeps its state between passes', () => {
    const divergent = alarms.find((a) => a.AlarmName === 'headroom-prod-derived-data-divergent');
    expect(divergent).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'ignore',
    });
    expect(JSON.stringify(divergent)).toContain('DerivedDataDivergencePersistent');
    expect(divergent?.AlarmDescription).toMatch(/derived-data-repair\.md$/);
  });

  it('alarms on the first visible message of each dead-letter queue and of the failed stream batches', () => {
    for (const queueId of [ids.jobsDlq, ids.overflowDlq, ids.failedBatches]) {
      const matching = alarms.filter((a) => onQueue(a, queueId));
      expect(matching).toHaveLength(1);
      expect(matching[0]).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    }
    expect(alarms.some((a) => a.MetricName === 'NumberOfMessagesSent')).toBe(false);
  });

  it('alarms when quiet groups on the main queue wait longer than the configured age', () => {
    const alarm = alarms.find((a) => a.MetricName === 'ApproximateAgeOfOldestMessageInQuietGroups');
    expect(alarm && onQueue(alarm, ids.jobs)).toBe(true);
    expect(alarm).toMatchObject({
      Threshold: config.messaging.quietGroupAgeAlarmSeconds,
      ComparisonOperator: 'GreaterThanThreshold',
      Statistic: 'Maximum',
      TreatMissingData: 'notBreaching',
    });
    expect(config.messaging.quietGroupAgeAlarmSeconds).toBe(45);
  });

  it('alarms when a group stays noisy on the main queue for a sustained period, not a single minute', () => {
    const alarm = alarms.find((a) => a.MetricName === 'ApproximateNumberOfNoisyGroups');
    expect(alarm && onQueue(alarm, ids.jobs)).toBe(true);
    expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    expect(alarm!.DatapointsToAlarm).toBeGreaterThanOrEqual(5);
    expect(alarm!.Period * alarm!.DatapointsToAlarm).toBeGreaterThanOrEqual(10 * 60);
  });

  it('alarms when the oldest job on the overflow queue is older than the configured age', () => {
    const alarm = alarms.find((a) => a.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(alarm && onQueue(alarm, ids.overflow)).toBe(true);
    expect(alarm).toMatchObject({
      Threshold: config.messaging.overflowAgeAlarmSeconds,
      ComparisonOperator: 'GreaterThanThreshold',
      Statistic: 'Maximum',
      TreatMissingData: 'notBreaching',
    });
    expect(config.messaging.overflowAgeAlarmSeconds).toBe(600);
  });

  it('keeps the alarm definitions stable (snapshot backstop)', () => {
    const definitions = alarms.map(
      ({ id, AlarmDescription: _description, Dimensions: _dimensions, AlarmActions: _alarm, OKActions: _ok, ...definition }) => ({
        id,
        ...definition,
      }),
    );
    expect(definitions).toMatchSnapshot();
  });
});
