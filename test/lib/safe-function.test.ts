import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Alarm, AlarmRule, CompositeAlarm, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { Architecture, Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { API_FUNCTION_NAMES as FUNCTION_NAMES } from '../../lambdas/functions.js';
import { DEFAULT_CONFIG } from '../../lib/config.js';
import { SafeFunction, SafeReleases } from '../../lib/constructs/safe-function.js';
import { testApp } from './headroom-test-app.js';
import { idOf, mentions, resourceOf, type Json } from './template-queries.js';

const alarmNaming = DEFAULT_CONFIG.operations.alarms;

describe('API functions are released safely', () => {
  const { api, alarms } = testApp();
  const template = Template.fromStack(api);
  const compositeId = idOf(alarms, alarms.customersCannotWrite.alarm);
  const gateIds = alarms.releaseGates.map((gate) => idOf(alarms, gate));

  it.each(FUNCTION_NAMES)('%s: callers reach the live alias on the current version, never the function', (name) => {
    const { release, lambda } = api.functions[name];
    const alias = resourceOf(api, release.alias);
    expect(alias.Properties.Name).toBe('live');
    // The current version's logical id gets a hash of the function's code and configuration appended at synthesis.
    const versionId = idOf(api, release.version);
    expect(alias.Properties.FunctionVersion).toEqual({ 'Fn::GetAtt': [expect.stringMatching(`^${versionId}`), 'Version'] });
    const [version] = Object.entries(template.findResources('AWS::Lambda::Version')).filter(([id]) => id.startsWith(versionId));
    expect(version![1].Properties.FunctionName).toEqual({ Ref: idOf(api, lambda) });
    // The alias update goes through CodeDeploy with this function's deployment group.
    expect(alias.UpdatePolicy.CodeDeployLambdaAliasUpdate.DeploymentGroupName).toEqual({ Ref: idOf(api, release.deploymentGroup) });
  });

  it.each(FUNCTION_NAMES)(
    '%s: its deployment group stops on the new version’s errors, its success ratio and the heartbeat release gates, and rolls back by itself',
    (name) => {
      const { release } = api.functions[name];
      const group = resourceOf(api, release.deploymentGroup).Properties;
      expect(group.DeploymentConfigName).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes');
      expect(group.AutoRollbackConfiguration).toEqual({
        Enabled: true,
        Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
      });
      const names = group.AlarmConfiguration.Alarms.map((alarm: Json) => alarm.Name);
      expect(group.AlarmConfiguration.Enabled).toBe(true);
      expect(names).toHaveLength(2 + gateIds.length);
      expect(names[0]).toEqual({ Ref: idOf(api, release.versionErrors) });
      expect(names[1]).toEqual({ Ref: idOf(api, release.versionSuccessRatio) });
      gateIds.forEach((gateId, i) => expect(mentions(names[2 + i], gateId)).toBe(true));
      // CodeDeploy takes metric alarms: customers-cannot-write (a composite) is in no deployment group.
      expect(mentions(names, compositeId)).toBe(false);
    },
  );

  it('judges only the version being released: the version alarms filter on ExecutedVersion of the alias', () => {
    const { release, lambda } = api.functions['create-comment'];
    const dimensions = [
      { Name: 'ExecutedVersion', Value: { 'Fn::GetAtt': [expect.stringMatching(`^${idOf(api, release.version)}`), 'Version'] } },
      { Name: 'FunctionName', Value: { Ref: idOf(api, lambda) } },
      { Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: idOf(api, lambda) }, ':live']] } },
    ];
    const errors = resourceOf(api, release.versionErrors).Properties;
    expect(errors).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 60,
      Dimensions: dimensions,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    const ratio = resourceOf(api, release.versionSuccessRatio).Properties;
    expect(ratio).toMatchObject({
      Threshold: 99,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 2,
      TreatMissingData: 'notBreaching',
    });
    expect(ratio.Metrics[0].Expression).toBe('100 * (invocations - FILL(errors, 0)) / invocations');
    for (const id of ['invocations', 'errors']) {
      expect((ratio.Metrics as Json[]).find((m) => m.Id === id)!.MetricStat.Metric.Dimensions).toEqual(dimensions);
    }
  });

  it('shares one CodeDeploy application and one service role across the stack', () => {
    template.resourceCountIs('AWS::CodeDeploy::Application', 1);
    template.resourceCountIs('AWS::CodeDeploy::DeploymentGroup', FUNCTION_NAMES.length);
    const role = resourceOf(api, api.releases.role).Properties;
    expect(role.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'codedeploy.amazonaws.com' });
    expect(JSON.stringify(role.ManagedPolicyArns)).toContain('AWSCodeDeployRoleForLambdaLimited');
    expect(role.ManagedPolicyArns).toHaveLength(1);
  });
});

describe('release settings from config', () => {
  it('uses a custom canary and thresholds, and leaves the heartbeat gates out when the heartbeat gate is off', () => {
    const { api, alarms } = testApp({
      operations: {
        deployment: {
          canaryPercent: 25,
          canaryMinutes: 10,
          maxVersionErrorsPerMinute: 2,
          minVersionSuccessPercent: 95,
          gateOnHeartbeat: false,
        },
      },
    });
    Template.fromStack(api).hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: { Type: 'TimeBasedCanary', TimeBasedCanary: { CanaryInterval: 10, CanaryPercentage: 25 } },
    });
    const { release } = api.functions['create-conversation'];
    const group = resourceOf(api, release.deploymentGroup).Properties;
    expect(group.DeploymentConfigName).toEqual({ Ref: expect.stringMatching(/^ReleasesCanary/) });
    expect(group.AlarmConfiguration.Alarms).toHaveLength(2);
    expect(mentions(group.AlarmConfiguration.Alarms, idOf(alarms, alarms.customersCannotWrite.alarm))).toBe(false);
    for (const gate of alarms.releaseGates) expect(mentions(group.AlarmConfiguration.Alarms, idOf(alarms, gate))).toBe(false);
    expect(resourceOf(api, release.versionErrors).Properties.Threshold).toBe(2);
    expect(resourceOf(api, release.versionSuccessRatio).Properties.Threshold).toBe(95);
  });

  it.each([0, 100, 12.5])('refuses a canary of %s percent', (percent) => {
    const stack = new Stack(new App(), 'Bad');
    expect(() => new SafeReleases(stack, 'Releases', { alarmNaming, canaryPercent: percent })).toThrow(
      `canary percent must be a whole number in 1-99, got ${percent}`,
    );
  });

  it('refuses a composite gating alarm: CodeDeploy deployment groups take metric alarms', () => {
    const stack = new Stack(new App(), 'Gates');
    const metric = new Alarm(stack, 'Metric', {
      metric: new Metric({ namespace: 'Headroom', metricName: 'ConversationCreated' }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    const composite = new CompositeAlarm(stack, 'Composite', { alarmRule: AlarmRule.anyOf(metric) });
    expect(() => new SafeReleases(stack, 'Composites', { alarmNaming, gatingAlarms: [metric, composite] })).toThrow(
      'a release can only be gated on metric alarms (CodeDeploy takes no composites), got composite Gates/Composite',
    );
    expect(new SafeReleases(stack, 'Metrics', { alarmNaming, gatingAlarms: [metric] }).gatingAlarms).toEqual([metric]);
    expect(() => new SafeReleases(stack, 'Many', { alarmNaming, gatingAlarms: Array.from({ length: 9 }, () => metric) })).toThrow(
      'a deployment group takes at most 10 alarms, 2 of them the version alarms: got 9 gating alarms',
    );
  });

  it('works for any function, with its own releases when none are shared', () => {
    const stack = new Stack(new App(), 'Standalone');
    const fn = new LambdaFunction(stack, 'Fn', {
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => 1;'),
      timeout: Duration.seconds(3),
    });
    const safe = new SafeFunction(stack, 'Safe', {
      function: fn,
      name: 'standalone',
      releases: new SafeReleases(stack, 'Releases', { alarmNaming, canaryInterval: Duration.minutes(5) }),
    });
    const group = Template.fromStack(stack).findResources('AWS::CodeDeploy::DeploymentGroup');
    expect(Object.keys(group)).toEqual([idOf(stack, safe.deploymentGroup)]);
  });
});
