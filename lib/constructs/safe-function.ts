// Safe releases for a Lambda function: callers invoke an alias (`live`) on the function's current version, and a
// new version reaches them through a CodeDeploy canary (a share of traffic first, then all of it). The release
// stops and rolls back by itself when the new version errors, when its success ratio drops, or when a gating
// alarm (a heartbeat's release gate) fires. The version alarms filter on the `ExecutedVersion` dimension, so they
// judge only the version being released: an alarm still raised by the old version cannot block deploying its fix.
// Gating alarms are metric alarms only: CodeDeploy documents CloudWatch metric alarms for deployment groups
// (https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-create-alarms.html), not composites.
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  CfnCompositeAlarm,
  ComparisonOperator,
  CompositeAlarm,
  MathExpression,
  Metric,
  TreatMissingData,
  type IAlarm,
} from 'aws-cdk-lib/aws-cloudwatch';
import {
  LambdaApplication,
  LambdaDeploymentConfig,
  LambdaDeploymentGroup,
  TrafficRouting,
  type ILambdaDeploymentConfig,
} from 'aws-cdk-lib/aws-codedeploy';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias, type Function as LambdaFunction, type Version } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { alarmIdentity, type AlarmNaming } from '../alarm-names.js';
import { acknowledgeControl, CONTROLS } from '../policy-validation.js';

/** The alias every caller (API Gateway, the authorizer) invokes. */
export const LIVE_ALIAS = 'live';

export interface SafeReleasesProps {
  /** How the version alarms of every function released here are named and which runbook they link. */
  readonly alarmNaming: AlarmNaming;
  /**
   * Share of traffic the new version gets during the canary, in percent.
   * @default 10
   */
  readonly canaryPercent?: number;
  /**
   * How long the canary share runs before all traffic moves.
   * @default Duration.minutes(5)
   */
  readonly canaryInterval?: Duration;
  /**
   * Metric alarms that stop and roll back any release in progress, e.g. the heartbeats' release gates. Composite
   * alarms are refused. With the version alarms, at most 10 (CodeDeploy's limit per deployment group).
   * @default - none: each release is judged by its own version's alarms only
   */
  readonly gatingAlarms?: readonly IAlarm[];
  /**
   * Errors of the new version in one minute that stop the release.
   * @default 5
   */
  readonly maxVersionErrorsPerMinute?: number;
  /**
   * Share of the new version's invocations that must succeed, in percent, over two minutes in a row.
   * @default 99
   */
  readonly minVersionSuccessPercent?: number;
}

/**
 * What the functions of one stack share for their releases: one CodeDeploy application (so a release shows up as
 * one set of deployments), one traffic-shifting configuration, one service role, and the gating alarms.
 */
export class SafeReleases extends Construct {
  readonly application: LambdaApplication;
  readonly deploymentConfig: ILambdaDeploymentConfig;
  readonly role: Role;
  readonly alarmNaming: AlarmNaming;
  readonly gatingAlarms: readonly IAlarm[];
  readonly maxVersionErrorsPerMinute: number;
  readonly minVersionSuccessPercent: number;

  constructor(scope: Construct, id: string, props: SafeReleasesProps) {
    super(scope, id);
    const percent = props.canaryPercent ?? 10;
    const interval = props.canaryInterval ?? Duration.minutes(5);
    if (!Number.isInteger(percent) || percent < 1 || percent > 99)
      throw new Error(`canary percent must be a whole number in 1-99, got ${percent}`);
    this.alarmNaming = props.alarmNaming;
    this.maxVersionErrorsPerMinute = props.maxVersionErrorsPerMinute ?? 5;
    this.minVersionSuccessPercent = props.minVersionSuccessPercent ?? 99;
    if (this.minVersionSuccessPercent < 0 || this.minVersionSuccessPercent > 100) {
      throw new Error(`minimum success percent must be in 0-100, got ${this.minVersionSuccessPercent}`);
    }
    this.gatingAlarms = props.gatingAlarms ?? [];
    for (const alarm of this.gatingAlarms) {
      if (alarm instanceof CompositeAlarm || alarm.node.defaultChild instanceof CfnCompositeAlarm)
        throw new Error(`a release can only be gated on metric alarms (CodeDeploy takes no composites), got composite ${alarm.node.path}`);
    }
    // Two version alarms per function join the gates in each deployment group.
    if (this.gatingAlarms.length > 8)
      throw new Error(
        `a deployment group takes at most 10 alarms, 2 of them the version alarms: got ${this.gatingAlarms.length} gating alarms`,
      );

    this.application = new LambdaApplication(this, 'Application');
    // The predefined configuration needs no resource; anything else is a custom one.
    this.deploymentConfig =
      percent === 10 && interval.toMinutes() === 5
        ? LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES
        : new LambdaDeploymentConfig(this, 'Canary', { trafficRouting: TrafficRouting.timeBasedCanary({ interval, percentage: percent }) });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('codedeploy.amazonaws.com'),
      description: `${Stack.of(this).stackName}: CodeDeploy shifts traffic between Lambda versions`,
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      reason:
        'CodeDeploy Lambda deployment groups always attach this AWS-maintained policy to their service role (CDK adds ' +
        'it unconditionally); it only lets CodeDeploy read and update aliases, invoke lifecycle hooks and read alarms. ' +
        'Only the codedeploy.amazonaws.com service can assume this role.',
    });
  }
}

export interface SafeFunctionProps {
  /** The function to release; the alias points at its current version. */
  readonly function: LambdaFunction;
  /**
   * The function in its version alarms' names (`headroom-<stage>-release-<name>-errors`), e.g. its manifest name:
   * unique among the functions released with one stage.
   */
  readonly name: string;
  /** The stack's shared release settings. */
  readonly releases: SafeReleases;
}

export class SafeFunction extends Construct {
  readonly version: Version;
  /** What callers invoke: API Gateway integrations and authorizers must target this, never the function. */
  readonly alias: Alias;
  readonly deploymentGroup: LambdaDeploymentGroup;
  /** The new version threw errors during its release. */
  readonly versionErrors: Alarm;
  /** The new version's success ratio dropped during its release. */
  readonly versionSuccessRatio: Alarm;

  constructor(scope: Construct, id: string, props: SafeFunctionProps) {
    super(scope, id);
    const { function: fn, releases } = props;
    this.version = fn.currentVersion;
    this.alias = new Alias(this, 'Alias', { aliasName: LIVE_ALIAS, version: this.version });

    const versionMetric = (metricName: string) =>
      new Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: {
          FunctionName: fn.functionName,
          Resource: `${fn.functionName}:${LIVE_ALIAS}`,
          ExecutedVersion: this.version.version,
        },
        statistic: 'Sum',
        period: Duration.minutes(1),
      });

    const identity = (what: string, meaning: string) =>
      alarmIdentity(releases.alarmNaming, `release-${props.name}-${what}`, meaning, 'rollback');
    // No invocations of the new version is no evidence against it: missing data does not breach.
    this.versionErrors = new Alarm(this, 'VersionErrors', {
      ...identity(
        'errors',
        `The ${props.name} version being released threw ${releases.maxVersionErrorsPerMinute} or more errors in a minute, ` +
          'so CodeDeploy stops the release and rolls it back.',
      ),
      metric: versionMetric('Errors'),
      threshold: releases.maxVersionErrorsPerMinute,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.versionSuccessRatio = new Alarm(this, 'VersionSuccessRatio', {
      ...identity(
        'success-rate',
        `Fewer than ${releases.minVersionSuccessPercent} % of the invocations of the ${props.name} version being released ` +
          'succeeded for 2 minutes, so CodeDeploy stops the release and rolls it back.',
      ),
      metric: new MathExpression({
        expression: '100 * (invocations - FILL(errors, 0)) / invocations',
        usingMetrics: { invocations: versionMetric('Invocations'), errors: versionMetric('Errors') },
        label: 'success % of the released version',
        period: Duration.minutes(1),
      }),
      threshold: releases.minVersionSuccessPercent,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    for (const alarm of [this.versionErrors, this.versionSuccessRatio]) {
      acknowledgeControl(
        alarm,
        CONTROLS.alarmAction,
        'A release alarm: its consumer is the CodeDeploy deployment group below, which stops and rolls back the ' +
          'release while it is in ALARM. Paging belongs to customers-cannot-write; a page per function version would not help.',
      );
    }
    this.deploymentGroup = new LambdaDeploymentGroup(this, 'Deployment', {
      alias: this.alias,
      application: releases.application,
      deploymentConfig: releases.deploymentConfig,
      role: releases.role,
      alarms: [this.versionErrors, this.versionSuccessRatio, ...releases.gatingAlarms],
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
  }
}
