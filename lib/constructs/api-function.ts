// A function behind API Gateway: a HandlerFunction that must answer within the integration timeout, because a
// function still running when API Gateway gives up only burns concurrency on an answer nobody receives.
import type { Construct } from 'constructs';
import type { FunctionName } from '../../lambdas/routes.js';
import { HandlerFunction, type HandlerFunctionProps } from './handler-function.js';

/** API Gateway's default (and, without a quota increase, maximum) integration timeout. */
const API_GATEWAY_TIMEOUT_SECONDS = 29;

export interface ApiFunctionProps extends HandlerFunctionProps {
  /** The entry point `lambdas/handlers/<handler>.ts`: a route handler or the token authorizer. */
  readonly handler: FunctionName | 'authorizer';
}

export class ApiFunction extends HandlerFunction {
  constructor(scope: Construct, id: string, props: ApiFunctionProps) {
    const seconds = props.timeout.toSeconds();
    if (seconds > API_GATEWAY_TIMEOUT_SECONDS) {
      throw new Error(
        `an API function cannot outlive the ${API_GATEWAY_TIMEOUT_SECONDS} s API Gateway integration timeout, got ${seconds} s`,
      );
    }
    super(scope, id, props);
  }
}
