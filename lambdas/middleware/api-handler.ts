// The one middy chain every API function uses: logger → metrics → problem+json errors → tenant context →
// validation → the handler's single call into core. Handlers declare what they accept; the chain enforces it.
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { TenantContext } from '../core/tenancy/tenancy.js';
import { logger, metrics } from '../observability.js';
import { platform, withFlagContext, type Platform } from '../composition/platform.js';
import { problemResponses } from './problem-responses.js';
import { requestValidation, type RequestSpec, type ValidatedInput } from './request-validation.js';
import { tenantContext } from './tenant-context.js';

export interface TenantRequest<B, P, Q> extends ValidatedInput<B, P, Q> {
  readonly tenant: TenantContext;
  readonly platform: Platform;
  readonly event: APIGatewayProxyEvent;
}

type ApiContext<B, P, Q> = Context & { tenant: TenantContext; input: ValidatedInput<B, P, Q> };

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const noContent = (): APIGatewayProxyResult => ({ statusCode: 204, headers: {}, body: '' });

/** A handler for a tenant route: the tenant comes from the authorizer, the input from validated schemas. */
export function tenantApiHandler<B = undefined, P = undefined, Q = undefined>(
  spec: RequestSpec<B, P, Q>,
  handle: (request: TenantRequest<B, P, Q>) => Promise<APIGatewayProxyResult>,
) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ApiContext<B, P, Q>>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(problemResponses())
    .use(tenantContext(() => platform().directory))
    .use(requestValidation(spec))
    .handler(async (event, context) =>
      withFlagContext(context.tenant, () => handle({ ...context.input, tenant: context.tenant, platform: platform(), event })),
    );
}

/** A handler for an operator route (IAM-authorised on AWS, admin token locally). */
export function adminApiHandler(handle: (event: APIGatewayProxyEvent, platform: Platform) => Promise<APIGatewayProxyResult>) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger))
    .use(problemResponses())
    .handler(async (event) => handle(event, platform()));
}
