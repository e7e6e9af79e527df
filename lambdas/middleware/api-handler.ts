// The one middy chain every API function uses: logger → metrics → problem+json errors → tenant context →
// validation → the handler's single call into core. Handlers declare what they accept; the chain enforces it. An
// admin function declares a table of routes, each with what it accepts, and the chain dispatches on it.
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { z } from 'zod';
import { Problem } from '../core/problems.js';
import type { TenantContext } from '../core/tenancy/tenancy.js';
import { logger, metrics } from '../observability.js';
import { platform, withFlagContext, type Platform } from '../composition/platform.js';
import type { Route } from '../routes.js';
import { problemResponses } from './problem-responses.js';
import { requestValidation, validateRequest, type RequestSpec, type ValidatedInput } from './request-validation.js';
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

/**
 * The largest body each admin command accepts: room for its largest legitimate input, and no more, so a mistake
 * (a pasted log, the wrong file) is refused before it is parsed.
 */
export const ADMIN_BODY_BYTES = {
  /** A shard name: the target of a tenant move. */
  shardName: 1024,
  /** One reason line (500 characters, up to 4 bytes each in UTF-8): draining or restoring an LLM route. */
  reason: 4 * 1024,
  /** A new tenant's id, group, tier and shard. */
  tenant: 16 * 1024,
  /** A search mapping for a new generation, or the tenant list of a cutover or rollback. */
  searchMigration: 256 * 1024,
  /** A flagd definition with its variants and targeting rules, or the tenant list of an allow, deny or unpin. */
  flag: 512 * 1024,
} as const;

/** `METHOD /admin/...`: the key of an admin row of routes.ts (`${method} ${path}`), as API Gateway reports it. */
export type AdminRouteKey = `${Route['method']} /admin/${string}`;

export interface AdminRequest<B, P, Q> extends ValidatedInput<B, P, Q> {
  readonly event: APIGatewayProxyEvent;
  readonly platform: Platform;
  /** Who is asking, for audit trails: the caller's IAM identity on AWS, the admin token's locally. */
  readonly principal: string;
}

type Output<S> = S extends z.ZodType ? z.output<S> : undefined;
type At<T, K> = K extends keyof T ? T[K] : undefined;

/**
 * An admin function's routes: per route, the schemas of what it accepts and the one call it makes. One mapped type
 * per schema, so each route's `handle` is typed by that route's own schemas; the last holds every entry to the
 * shape of a route (a key like `GET /admin/...`, zod schemas, and a body limit wherever there is a body).
 */
export type AdminRoutes<B, P, Q> = {
  readonly [K in keyof B]: { readonly body?: B[K]; readonly maxBodyBytes?: number; readonly bodyOptional?: boolean };
} & { readonly [K in keyof P]: { readonly path?: P[K] } } & { readonly [K in keyof Q]: { readonly query?: Q[K] } } & {
  readonly [K in Extract<keyof B, AdminRouteKey>]: (B[K] extends z.ZodType ? { readonly maxBodyBytes: number } : unknown) & {
    readonly body?: z.ZodType;
    readonly path?: z.ZodType;
    readonly query?: z.ZodType;
    handle(request: AdminRequest<Output<B[K]>, Output<At<P, K>>, Output<At<Q, K>>>): Promise<APIGatewayProxyResult>;
  };
};

interface AnyAdminRoute extends RequestSpec<unknown, unknown, unknown> {
  handle(request: AdminRequest<unknown, unknown, unknown>): Promise<APIGatewayProxyResult>;
}

const principalOf = (event: APIGatewayProxyEvent): string => event.requestContext?.identity?.userArn ?? 'unknown';

/**
 * A handler for operator routes (IAM-authorised on AWS, admin token locally), dispatched on
 * `${httpMethod} ${resource}`. `routes` lists the function's admin routes of routes.ts, each with its input schemas.
 */
export function adminApiHandler<B, P, Q>(routes: AdminRoutes<B, P, Q>) {
  const table = routes as unknown as Readonly<Record<string, AnyAdminRoute>>;
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger))
    .use(problemResponses())
    .handler(async (event) => {
      const key = `${event.httpMethod} ${event.resource}`;
      const route = Object.hasOwn(table, key) ? table[key] : undefined;
      if (!route) throw new Problem('route-not-found', `No admin route ${key}. See \`headroom --help\`.`);
      const input = validateRequest(route, event);
      return route.handle({ ...input, event, platform: platform(), principal: principalOf(event) });
    });
  /** The routes this function answers, for the test that holds them to routes.ts. */
  return Object.assign(handler, { routes: Object.freeze(Object.keys(table) as Extract<keyof B, AdminRouteKey>[]) });
}
