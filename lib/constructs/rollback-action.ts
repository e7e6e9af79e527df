// The rollback action (lambdas/handlers/rollback-action.ts): it keeps the release ledger from CodeDeploy's
// deployment state changes and, when customers-cannot-write fires, moves back aliases a release changed less
// than the window earlier. It may read and move exactly the aliases it manages, and touch only the ledger's
// keys (`RELEASE`, `ROLLBACK#…`) in the control table.
import { Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ILambdaDeploymentGroup } from 'aws-cdk-lib/aws-codedeploy';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { Alias } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { functionEnvironment } from '../../lambdas/function-environment.js';
import { functionDefinition } from '../../lambdas/functions.js';
import { grantNeeds } from '../function-grants.js';
import { HandlerFunction, type FunctionRuntimeDefaults } from './handler-function.js';

export interface ReleasedAlias {
  readonly alias: Alias;
  readonly deploymentGroup: ILambdaDeploymentGroup;
}

export interface RollbackActionProps {
  /** The alarm whose ALARM state triggers it (customers cannot write). */
  readonly trigger: IAlarm;
  /** The aliases it may move back, with the deployment groups that release them. */
  readonly releases: readonly ReleasedAlias[];
  readonly controlTable: ITable;
  /** Only a release that finished less than this many minutes before the alarm is rolled back. */
  readonly windowMinutes: number;
  readonly logRetention: RetentionDays;
  /** Sizes the manifest row leaves to configuration. */
  readonly runtime: FunctionRuntimeDefaults;
  /**
   * What happens to the function's log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

export class RollbackAction extends Construct {
  readonly function: HandlerFunction;
  readonly onAlarm: Rule;
  readonly onDeployment: Rule;

  constructor(scope: Construct, id: string, props: RollbackActionProps) {
    super(scope, id);
    if (props.releases.length === 0) throw new Error('the rollback action needs at least one released alias, got none');
    const stack = Stack.of(this);
    const targets = Object.fromEntries(
      props.releases.map(({ alias, deploymentGroup }) => [
        deploymentGroup.deploymentGroupName,
        { functionName: alias.version.lambda.functionName, aliasName: alias.aliasName },
      ]),
    );

    this.function = new HandlerFunction(this, 'Function', {
      handler: 'rollback-action',
      environment: functionEnvironment(functionDefinition('rollback-action'), {
        target: 'aws',
        json: (value) => stack.toJsonString(value),
        controlTable: props.controlTable.tableName,
        releases: { targets, windowMinutes: props.windowMinutes, heartbeatAlarmName: props.trigger.alarmName },
      }),
      runtime: props.runtime,
      logRetention: props.logRetention,
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    // The release ledger's keys only (its manifest row): this function never reads tenants, tokens or flags.
    grantNeeds(this.function, { controlTable: props.controlTable });
    // Lambda has no grant method for alias management. IAM evaluates alias actions against the unqualified function
    // ARN (as CodeDeploy's own policy does) or the alias ARN, so both are named: these functions, nothing else.
    Grant.addToPrincipal({
      grantee: this.function,
      actions: ['lambda:GetAlias', 'lambda:UpdateAlias'],
      resourceArns: props.releases.flatMap(({ alias }) => [alias.version.lambda.functionArn, alias.functionArn]),
    });

    // EventBridge invokes asynchronously: a failed rollback is retried by Lambda (twice) and the ledger makes that safe.
    const target = new LambdaFunction(this.function.lambda, { retryAttempts: 2 });
    this.onAlarm = new Rule(this, 'OnAlarm', {
      description: `Headroom rollback action: state changes of ${props.trigger.alarmName}`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: [props.trigger.alarmArn],
      },
      targets: [target],
    });
    this.onDeployment = new Rule(this, 'OnDeployment', {
      description: 'Headroom rollback action: CodeDeploy releases of the API functions (the release ledger)',
      eventPattern: {
        source: ['aws.codedeploy'],
        detailType: ['CodeDeploy Deployment State-change Notification'],
        detail: {
          application: [...new Set(props.releases.map(({ deploymentGroup }) => deploymentGroup.application.applicationName))],
          state: ['START', 'SUCCESS'],
        },
      },
      targets: [target],
    });
  }
}
