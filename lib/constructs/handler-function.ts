// One function of the manifest (lambdas/functions.ts) with the defaults every Headroom function gets, so no stack
// has to remember them: Node 22 on arm64, an ESM bundle built by the local esbuild (no Docker) that carries every
// module it imports, active tracing, a log group with bounded retention, a role that holds nothing but what grants
// add (no managed policies), and the timeout, memory and reserved concurrency of its manifest row.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal, type IGrantable, type IPrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing, type CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FUNCTION_METADATA_KEY, functionDefinition, type FunctionDefinition, type FunctionName } from '../../lambdas/functions.js';
import { acknowledgeFunction } from '../policy-validation.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Bundled dependencies written for CommonJS still call `require`; an ESM bundle has to provide it. */
const REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** What a manifest row leaves to configuration (lib/config.ts `runtime`). */
export interface FunctionRuntimeDefaults {
  /** Memory of functions whose row names none. */
  readonly memoryMb: number;
  /** Timeout of functions whose row names none (the API functions). */
  readonly timeoutSeconds: number;
  /** Apply the rows' reserved concurrency (needs an account limit of their sum plus 100). */
  readonly reserveConcurrency: boolean;
}

export interface HandlerFunctionProps {
  /** Its row in lambdas/functions.ts; the entry point is `lambdas/handlers/<handler>.ts`, which exports `handler`. */
  readonly handler: FunctionName;
  /** Built by lambdas/function-environment.ts from the row's needs. */
  readonly environment: Readonly<Record<string, string>>;
  readonly runtime: FunctionRuntimeDefaults;
  /**
   * A timeout set by the construct that owns the function, for a row that derives it from config (the canary).
   * @default - the row's `timeoutSeconds`, else `runtime.timeoutSeconds`
   */
  readonly timeout?: Duration;
  readonly logRetention: RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

export class HandlerFunction extends Construct implements IGrantable {
  readonly definition: FunctionDefinition;
  readonly lambda: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly grantPrincipal: IPrincipal;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    const definition = functionDefinition(props.handler);
    this.definition = definition;

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Headroom ${props.handler} function`,
    });
    this.grantPrincipal = this.role;
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.logGroup.grantWrite(this.role);

    this.lambda = new NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, 'lambdas', 'handlers', `${props.handler}.ts`),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: definition.memoryMb ?? props.runtime.memoryMb,
      timeout: props.timeout ?? Duration.seconds(definition.timeoutSeconds ?? props.runtime.timeoutSeconds),
      reservedConcurrentExecutions: props.runtime.reserveConcurrency ? definition.reservedConcurrency : undefined,
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...props.environment },
      bundling: {
        format: OutputFormat.ESM,
        banner: REQUIRE_SHIM,
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Nothing external: the bundle carries the SDK version the tests ran against instead of whichever one the
        // Lambda runtime has; the deploy rehearsal proves each bundle loads bare (npm run rehearse).
        externalModules: [],
      },
    });
    (this.lambda.node.defaultChild as CfnFunction).addMetadata(FUNCTION_METADATA_KEY, definition.name);
    // Control Tower findings these defaults accept (no VPC, the log group's settings); see lib/policy-validation.ts.
    acknowledgeFunction(this, `The ${definition.name} function`);

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
