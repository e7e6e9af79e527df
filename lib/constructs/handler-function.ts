// One Lambda entry point of lambdas/handlers with the defaults every Headroom function gets, so no stack has to
// remember them: Node 22 on arm64, an ESM bundle built by the local esbuild (no Docker), active tracing, a log
// group with bounded retention, and a role that holds nothing but what grants add (no managed policies).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validations, type Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal, type IGrantable, type IPrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { JobConsumerName, MOVE_REPLICATOR_FUNCTION, RELAY_FUNCTION } from '../../lambdas/queues.js';
import type { OperationsFunctionName } from '../../lambdas/operations-contract.js';
import type { FunctionName } from '../../lambdas/routes.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Bundled dependencies written for CommonJS still call `require`; an ESM bundle has to provide it. */
const REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** Every entry point in lambdas/handlers: route handlers, the authorizer, the change relay and the job consumers. */
export type HandlerName =
  | FunctionName
  | 'authorizer'
  | typeof RELAY_FUNCTION
  | typeof MOVE_REPLICATOR_FUNCTION
  | JobConsumerName
  | OperationsFunctionName
  | 'migration-step';

export interface HandlerFunctionProps {
  /** The entry point `lambdas/handlers/<handler>.ts`, which exports `handler`. */
  readonly handler: HandlerName;
  /** Runtime configuration, keyed by the names in lambdas/environment.ts. */
  readonly environment: Readonly<Record<string, string>>;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly logRetention: RetentionDays;
  /**
   * Concurrent executions set aside for this function alone (and the most it may ever run).
   * @default - no reservation: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
}

export class HandlerFunction extends Construct implements IGrantable {
  readonly lambda: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly grantPrincipal: IPrincipal;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Headroom ${props.handler} function`,
    });
    this.grantPrincipal = this.role;
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });
    this.logGroup.grantWrite(this.role);

    this.lambda = new NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, 'lambdas', 'handlers', `${props.handler}.ts`),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'headroom',
        POWERTOOLS_METRICS_NAMESPACE: 'Headroom',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        banner: REQUIRE_SHIM,
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Ship the SDK version the tests ran against instead of whichever one the Lambda runtime carries. The one
        // exception is the embedded platform's native SQLite module, which no Lambda function ever loads.
        externalModules: ['better-sqlite3'],
      },
    });

    Validations.of(this.lambda).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Headroom pins nodejs22.x (DESIGN.md §8): the toolchain and runtime dependencies are tested on Node 22; ' +
        'moving to nodejs24.x is a deliberate upgrade with its own test run, not a side effect of a CDK release.',
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level ' +
        'permissions; CDK adds exactly these two actions on "*". Every other statement on this role comes from a grant.',
    });
  }
}
