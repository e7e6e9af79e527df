// Every admin function answers exactly the admin routes routes.ts gives it: API Gateway and the embedded bridge
// send it those and only those, so a route declared in one place and not the other is a 404 nobody sees coming.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { problemType } from '../../lambdas/core/problems.js';
import { ADMIN_BODY_BYTES } from '../../lambdas/middleware/api-handler.js';
import { ROUTES } from '../../lambdas/routes.js';
import { lambdaContext } from '../../local/lambda-context.js';

interface AdminHandler {
  (event: APIGatewayProxyEvent, context: ReturnType<typeof lambdaContext>): Promise<{ statusCode: number; headers?: object; body: string }>;
  readonly routes: readonly string[];
}

const adminFunctions = [...new Set(ROUTES.filter((route) => route.auth === 'admin').map((route) => route.handler))];

const load = async (name: string): Promise<AdminHandler> =>
  ((await import(/* @vite-ignore */ new URL(`../../lambdas/handlers/${name}.ts`, import.meta.url).href)) as { handler: AdminHandler })
    .handler;

function event(httpMethod: string, resource: string, extra: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    httpMethod,
    resource,
    path: resource,
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'test-request' } as APIGatewayProxyEvent['requestContext'],
    ...extra,
  };
}

const invoke = async (name: string, request: APIGatewayProxyEvent) => {
  const response = await (await load(name))(request, lambdaContext(name, Date.now() + 10_000));
  return { ...response, json: JSON.parse(response.body) as Record<string, unknown> };
};

describe('admin routes', () => {
  it('routes.ts gives routes to the six admin functions', () => {
    expect(adminFunctions.sort()).toEqual(['admin-flags', 'admin-llm', 'admin-migrations', 'admin-moves', 'admin-queues', 'admin-tenants']);
  });

  it.each(adminFunctions)('%s declares exactly its routes of routes.ts', async (name) => {
    const rows = ROUTES.filter((route) => route.handler === name).map((route) => `${route.method} ${route.path}`);
    expect([...(await load(name)).routes].sort()).toEqual(rows.sort());
  });

  it('answers a route it does not declare with a route-not-found problem', async () => {
    const response = await invoke('admin-tenants', event('DELETE', '/admin/tenants'));
    expect(response).toMatchObject({ statusCode: 404, headers: { 'content-type': 'application/problem+json' } });
    expect(response.json).toMatchObject({
      type: problemType('route-not-found'),
      status: 404,
      detail: 'No admin route DELETE /admin/tenants. See `headroom --help`.',
    });
  });

  it('refuses a body over the route’s declared limit before any core code runs', async () => {
    const response = await invoke(
      'admin-moves',
      event('POST', '/admin/tenants/{tenantId}/move', {
        pathParameters: { tenantId: 'acme' },
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to: 'shard-1', padding: 'x'.repeat(ADMIN_BODY_BYTES.shardName) }),
      }),
    );
    expect(response).toMatchObject({
      statusCode: 413,
      json: { type: problemType('payload-too-large'), limitBytes: ADMIN_BODY_BYTES.shardName },
    });
  });

  it('refuses input that fails the route’s schema, naming the field', async () => {
    const response = await invoke(
      'admin-tenants',
      event('POST', '/admin/tenants', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'Not/A/Tenant' }) }),
    );
    expect(response).toMatchObject({ statusCode: 400, json: { type: problemType('validation-failed') } });
    expect((response.json.errors as { path: string }[])[0]?.path).toBe('body.id');
  });
});
