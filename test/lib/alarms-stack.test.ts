import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config.js';
import { testApp } from './headroom-test-app.js';
import { idOf, mentions, resourceOf, type Json } from './template-queries.js';

const HEADROOM_METRIC = (metricName: string) => ({
  Id: 'm',
  MetricStat: {
    Metric: { Namespace: 'Headroom', MetricName: metricName, Dimensions: [{ Name: 'service', Value: 'headroom' }] },
    Period: 60,
    Stat: 'Sum',
  },
  ReturnData: false,
});

describe('AlarmsStack heartbeats', () => {
  const { alarms, config } = testApp({
    operations: {
      heartbeat: { bandWidth: 2.5, conversationsFloorPerMinute: 4, commentsFloorPerMinute: 2, evaluationMinutes: 6, breachingMinutes: 4 },
    },
  });
  const { conversations, comments, canary } = alarms.heartbeats;

  it.each([
    ['ConversationCreated', conversations, 4],
    ['CommentCreated', comments, 2],
  ] as const)(
    'alarms when %s, FILLed with 0, drops below its static floor, and treats missing data as breaching',
    (metricName, heartbeat, floor) => {
      const props = resourceOf(alarms, heartbeat.belowFloor).Properties;
      expect(props).toMatchObject({
        ComparisonOperator: 'LessThanThreshold',
        Threshold: floor,
        EvaluationPeriods: 6,
        DatapointsToAlarm: 4,
        TreatMissingData: 'breaching',
      });
      expect(props.Metrics).toEqual([expect.objectContaining({ Expression: 'FILL(m, 0)', ReturnData: true }), HEADROOM_METRIC(metricName)]);
      expect(config.operations.heartbeat.conversationsFloorPerMinute).toBe(4);
    },
  );

  it.each([
    ['ConversationCreated', conversations],
    ['CommentCreated', comments],
  ] as const)('alarms when %s drops below the lower edge of its anomaly band of the configured width', (metricName, heartbeat) => {
    const props = resourceOf(alarms, heartbeat.belowBand!).Properties;
    expect(props).toMatchObject({
      ComparisonOperator: 'LessThanLowerThreshold',
      EvaluationPeriods: 6,
      DatapointsToAlarm: 4,
      TreatMissingData: 'breaching',
    });
    const band = (props.Metrics as Json[]).find((m) => m.Id === props.ThresholdMetricId)!;
    const filled = (props.Metrics as Json[]).find((m) => m.Expression === 'FILL(m, 0)')!;
    expect(band.Expression).toBe(`ANOMALY_DETECTION_BAND(${filled.Id}, 2.5)`);
    expect(props.Metrics).toContainEqual(HEADROOM_METRIC(metricName));
    expect(props.Threshold).toBeUndefined();
  });

  it('alarms when the synthetic canary has not succeeded for the configured number of runs, missing runs included', () => {
    const props = resourceOf(alarms, canary!.belowFloor).Properties;
    expect(props).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
    });
    expect(props.Metrics).toContainEqual(HEADROOM_METRIC('HeartbeatSuccess'));
    // A count with no daily rhythm has no band.
    expect(canary!.belowBand).toBeUndefined();
  });

  it('pages through one composite, customers-cannot-write, that fires when any heartbeat alarm fires', () => {
    const composite = resourceOf(alarms, alarms.customersCannotWrite.alarm).Properties;
    expect(composite.AlarmName).toBe('headroom-prod-customers-cannot-write');
    const rule = JSON.stringify(composite.AlarmRule);
    const members = [conversations.belowFloor, conversations.belowBand!, comments.belowFloor, comments.belowBand!, canary!.belowFloor];
    for (const alarm of members) expect(mentions(rule, idOf(alarms, alarm))).toBe(true);
    expect(rule).not.toContain(' AND ');
    const topic = { Ref: idOf(alarms, alarms.topic.topic) };
    expect(composite.AlarmActions).toEqual([topic]);
    expect(composite.OKActions).toEqual([topic]);
    // The members page only through the composite, never on their own.
    for (const alarm of members) expect(resourceOf(alarms, alarm).Properties.AlarmActions).toBeUndefined();
  });

  it.each([
    ['ConversationCreated', conversations, 4, 6, 4],
    ['CommentCreated', comments, 2, 6, 4],
    ['HeartbeatSuccess', canary!, 1, 3, 3],
  ] as const)(
    'gates releases on %s below the same floor, as a metric alarm that stays OK until the heartbeat has data',
    (metricName, heartbeat, floor, evaluationPeriods, datapointsToAlarm) => {
      const gate = resourceOf(alarms, heartbeat.releaseGate).Properties;
      const paging = resourceOf(alarms, heartbeat.belowFloor).Properties;
      expect(gate).toMatchObject({
        ComparisonOperator: 'LessThanThreshold',
        Threshold: floor,
        EvaluationPeriods: evaluationPeriods,
        DatapointsToAlarm: datapointsToAlarm,
        // A new stack has published nothing: a breaching gate would stop and roll back every release until then.
        TreatMissingData: 'notBreaching',
      });
      expect(gate.Metrics).toEqual(paging.Metrics);
      expect(gate.Metrics).toContainEqual(HEADROOM_METRIC(metricName));
      // It pages nobody and is in no composite; the paging alarm keeps missing data breaching.
      expect(gate.AlarmActions).toBeUndefined();
      expect(JSON.stringify(resourceOf(alarms, alarms.customersCannotWrite.alarm).Properties.AlarmRule)).not.toContain(
        idOf(alarms, heartbeat.releaseGate),
      );
      expect(paging.TreatMissingData).toBe('breaching');
    },
  );

  it('exposes one release gate per heartbeat for the API deployment groups', () => {
    expect(alarms.releaseGates).toEqual([conversations.releaseGate, comments.releaseGate, canary!.releaseGate]);
  });

  it('keeps the alarm definitions stable (backstop)', () => {
    const resources = Template.fromStack(alarms).findResources('AWS::CloudWatch::Alarm');
    expect(Object.values(resources).map((r) => r.Properties)).toMatchSnapshot();
  });
});

describe('AlarmsStack without the canary', () => {
  it('has no canary alarm and the composite watches the customer heartbeats only', () => {
    const { alarms, operations } = testApp({ operations: { canary: { enabled: false } } });
    expect(alarms.heartbeats.canary).toBeUndefined();
    expect(JSON.stringify(resourceOf(alarms, alarms.customersCannotWrite.alarm).Properties.AlarmRule)).not.toContain('Canary');
    expect(operations.canary).toBeUndefined();
    Template.fromStack(operations).resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' }, 0);
  });
});

describe('AlarmsStack topic', () => {
  const { alarms, messaging } = testApp({
    operations: { alarmSubscriptions: { emails: ['oncall@example.com'], httpsUrls: ['https://pager.example.com/hooks/headroom'] } },
  });
  const template = Template.fromStack(alarms);

  it('encrypts the topic with its own rotating key that CloudWatch may use, and refuses publishes without TLS', () => {
    const topic = resourceOf(alarms, alarms.topic.topic).Properties;
    expect(mentions(topic.KmsMasterKeyId, idOf(alarms, alarms.topic.key))).toBe(true);
    const key = resourceOf(alarms, alarms.topic.key).Properties;
    expect(key.EnableKeyRotation).toBe(true);
    expect(key.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
    );
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('subscribes the configured email addresses and https endpoints', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'https', Endpoint: 'https://pager.example.com/hooks/headroom' });
    template.resourceCountIs('AWS::SNS::Subscription', 2);
  });

  it('has no subscriptions by default', () => {
    const { alarms: bare } = testApp();
    Template.fromStack(bare).resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it("wires every one of the messaging stack's alarms to the topic, on alarm and on recovery", () => {
    const all = Object.values(messaging.alarms).flat();
    expect(all.length).toBeGreaterThanOrEqual(6);
    for (const alarm of all) {
      const props = resourceOf(messaging, alarm).Properties;
      expect(props.AlarmActions).toHaveLength(1);
      expect(mentions(props.AlarmActions, idOf(alarms, alarms.topic.topic))).toBe(true);
      expect(mentions(props.OKActions, idOf(alarms, alarms.topic.topic))).toBe(true);
    }
  });
});

describe('operations config', () => {
  it.each([
    [
      'more breaching minutes than evaluated',
      { heartbeat: { evaluationMinutes: 3, breachingMinutes: 4 } },
      /must not exceed evaluationMinutes \(3\), got 4[\s\S]*operations\.heartbeat\.breachingMinutes/,
    ],
    [
      'a canary deadline as long as its schedule',
      { canary: { everyMinutes: 1, deadlineSeconds: 60 } },
      /shorter than the schedule \(60 s\), got 60[\s\S]*operations\.canary\.deadlineSeconds/,
    ],
    ['a release canary of 100 %', { deployment: { canaryPercent: 100 } }, /operations\.deployment\.canaryPercent/],
    [
      'a plain-http alarm endpoint',
      { alarmSubscriptions: { httpsUrls: ['http://pager.example.com'] } },
      /operations\.alarmSubscriptions\.httpsUrls\[0\]/,
    ],
    ['a malformed alarm email', { alarmSubscriptions: { emails: ['on-call'] } }, /operations\.alarmSubscriptions\.emails\[0\]/],
  ])('rejects %s and names the path at fault', (_case, operations, message) => {
    expect(() => resolveConfig({ operations })).toThrow(message);
  });
});
