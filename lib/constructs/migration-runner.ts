// The migration runner on AWS (DESIGN.md §5): a Step Functions loop around the `migration-step` function. Each
// invocation advances one migration through bounded, checkpointed steps and says whether to wait; a failed
// invocation is retried, then the loop pauses and tries again, so a crash at any step only delays the migration.
// Long migrations restart the loop as a fresh execution before the execution history limit is reached.
import { ArnFormat, Duration, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
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
import { HandlerFunction } from './handler-function.js';

/** Loop iterations per execution: each costs about 6 history events, and an execution holds at most 25,000. */
export const STEPS_PER_EXECUTION = 1000;
/** Lambda's own ceiling, so one step can backfill a long page or run a cutover without being cut short. */
const STEP_TIMEOUT = Duration.minutes(5);

export interface MigrationRunnerProps {
  readonly environment: Readonly<Record<string, string>>;
  readonly memorySize: number;
  /**
   * Retention of the step function's and the state machine's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class MigrationRunner extends Construct {
  readonly step: HandlerFunction;
  readonly stateMachine: StateMachine;
  readonly stateMachineName: string;

  constructor(scope: Construct, id: string, props: MigrationRunnerProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    this.step = new HandlerFunction(this, 'Step', {
      handler: 'migration-step',
      environment: props.environment,
      memorySize: props.memorySize,
      timeout: STEP_TIMEOUT,
      logRetention,
      // One migration step at a time per execution; a few executions (a search migration and moves) side by side.
      reservedConcurrentExecutions: 10,
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
    const continueAsNew = new CustomState(this, 'ContinueAsNewExecution', {
      stateJson: {
        Type: 'Task',
        Resource: 'arn:aws:states:::states:startExecution',
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

    const logs = new LogGroup(this, 'StateMachineLogs', { retention: logRetention });
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
