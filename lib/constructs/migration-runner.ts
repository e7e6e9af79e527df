// The migration runner on AWS (DESIGN.md §5): a Step Functions loop around the `migration-step` function. Each
// invocation advances one migration through bounded, checkpointed steps and says whether to wait; a failed
// invocation is retried, then the loop pauses and tries again, so a crash at any step only delays the migration.
// Long migrations restart the loop as a fresh execution before the execution history limit is reached.
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  CustomState,
  DefinitionBody,
  JsonPath,
  LogLevel,
  Pass,
  TaskInput,
  StateMachine,
  Succeed,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeLogGroup } from '../policy-validation.js';
import { HandlerFunction, type HandlerFunctionProps } from './handler-function.js';

/** Loop iterations per execution: each costs about 6 history events, and an execution holds at most 25,000. */
export const STEPS_PER_EXECUTION = 1000;

export interface MigrationRunnerProps extends Omit<HandlerFunctionProps, 'handler' | 'logRetention'> {
  /**
   * Retention of the step function's and the state machine's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the state machine's log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class MigrationRunner extends Construct {
  readonly step: HandlerFunction;
  readonly stateMachine: StateMachine;
  readonly stateMachineName: string;

  constructor(scope: Construct, id: string, props: MigrationRunnerProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    // Its timeout and reserved concurrency are its manifest row's (lambdas/functions.ts `migration-step`).
    this.step = new HandlerFunction(this, 'Step', {
      handler: 'migration-step',
      environment: props.environment,
      runtime: props.runtime,
      logRetention,
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });

    const stateMachineName = `${Stack.of(this).stackName}-migration-runner`;
    this.stateMachineName = stateMachineName;
    const init = new Pass(this, 'Start', { parameters: { 'migrationId.$': '$.migrationId', iterations: 0 } });
    const invoke = new LambdaInvoke(this, 'Advance', {
      lambdaFunction: this.step.lambda,
      payload: TaskInput.fromObject({ migrationId: JsonPath.stringAt('$.migrationId') }),
      resultSelector: { 'done.$': '$.Payload.done', 'waitSeconds.$': '$.Payload.waitSeconds' },
      resultPath: '$.step',
      retryOnServiceExceptions: true,
    });
    invoke.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 4 });
    const pauseAfterError = new Wait(this, 'PauseAfterError', { time: WaitTime.duration(Duration.minutes(1)) });
    invoke.addCatch(pauseAfterError, { resultPath: '$.error' });
    const count = new Pass(this, 'Count', {
      parameters: { 'migrationId.$': '$.migrationId', 'iterations.$': 'States.MathAdd($.iterations, 1)', 'step.$': '$.step' },
    });
    const wait = new Wait(this, 'WaitForNextStep', { time: WaitTime.secondsPath('$.step.waitSeconds') });
    // The service integration's ARN carries the partition (aws, aws-cn, aws-us-gov): a literal `arn:aws:` fails
    // to start the execution in China regions.
    const continueAsNew = new CustomState(this, 'ContinueAsNewExecution', {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(this).partition}:states:::states:startExecution`,
        Parameters: { 'StateMachineArn.$': '$$.StateMachine.Id', Input: { 'migrationId.$': '$.migrationId' } },
      },
    });
    const done = new Succeed(this, 'Done');
    const definition = init.next(
      invoke.next(
        count.next(
          new Choice(this, 'Finished?')
            .when(Condition.booleanEquals('$.step.done', true), done)
            .when(
              Condition.numberGreaterThanEquals('$.iterations', STEPS_PER_EXECUTION),
              continueAsNew.next(new Succeed(this, 'Continued')),
            )
            .otherwise(wait.next(invoke)),
        ),
      ),
    );
    pauseAfterError.next(invoke);

    const logs = new LogGroup(this, 'StateMachineLogs', {
      retention: logRetention,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    acknowledgeLogGroup(logs, 'Migration runner execution history');
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName,
      definitionBody: DefinitionBody.fromChainable(definition),
      tracingEnabled: true,
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
    });
    // Continue-as-new starts an execution of this very state machine: its ARN is known from its fixed name.
    Grant.addToPrincipal({
      grantee: this.stateMachine,
      actions: ['states:StartExecution'],
      resourceArns: [
        Stack.of(this).formatArn({
          service: 'states',
          resource: 'stateMachine',
          resourceName: stateMachineName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    });
    const stepArn = `<${Stack.of(this).getLogicalId(this.step.lambda.node.defaultChild as CfnElement)}.Arn>`;
    Validations.of(this.stateMachine).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${stepArn}:*]`,
        reason: 'CDK grants lambda:InvokeFunction on the step function and its versions (`:*`); it is one function, the runner’s own step.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions log delivery (logs:CreateLogDelivery and related) and X-Ray tracing support no resource-level ' +
          'permissions; CDK adds exactly those on "*". Everything else on this role names its resource.',
      },
    );
  }

  /** Lets an admin function wake the runner for a migration (StartExecution). */
  grantStart(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['states:StartExecution'], resourceArns: [this.stateMachineArn] });
  }

  /** Built from the fixed name, so stacks that start it need no cross-stack reference to the state machine. */
  get stateMachineArn(): string {
    return Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: this.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }
}
