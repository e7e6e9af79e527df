// A function behind API Gateway: a HandlerFunction that must answer within the integration timeout, because a
// function still running when API Gateway gives up only burns concurrency on an answer nobody receives.
import type { Construct } from 'constructs';
import type { Alias } from 'aws-cdk-lib/aws-lambda';
import { functionDefinition } from '../../lambdas/functions.js';
import { HandlerFunction, type HandlerFunctionProps } from './handler-function.js';
import { SafeFunction, type SafeReleases } from './safe-function.js';

/** API Gateway's default (and, without a quota increase, maximum) integration timeout. */
const API_GATEWAY_TIMEOUT_SECONDS = 29;

export interface ApiFunctionProps extends HandlerFunctionProps {
  /** How new versions reach callers (CodeDeploy canary, the alarms that stop it, how they are named); share one per stack. */
  readonly releases: SafeReleases;
}

export class ApiFunction extends HandlerFunction {
  /** Alias, CodeDeploy deployment group and version alarms: callers invoke `alias`, never the function itself. */
  readonly release: SafeFunction;
  readonly alias: Alias;

  constructor(scope: Construct, id: string, props: ApiFunctionProps) {
    const seconds = functionDefinition(props.handler).timeoutSeconds ?? props.runtime.timeoutSeconds;
    if (seconds > API_GATEWAY_TIMEOUT_SECONDS) {
      throw new Error(
        `an API function cannot outlive the ${API_GATEWAY_TIMEOUT_SECONDS} s API Gateway integration timeout, got ${seconds} s`,
      );
    }
    super(scope, id, props);
    this.release = new SafeFunction(this, 'Release', { function: this.lambda, name: props.handler, releases: props.releases });
    this.alias = this.release.alias;
  }
}
