// The admin API (/admin/...): IAM-authorised on AWS, admin-token-authorised by the embedded platform. Each route
// validates its input with the shared contract and makes one call into core.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createTenantSchema, listTenantsQuerySchema, tenantPathSchema, topTenantsQuerySchema } from '../core/api-contract.js';
import { topGroups } from '../core/jobs/usage-meter.js';
import { Problem } from '../core/problems.js';
import { adminApiHandler, json } from '../middleware/api-handler.js';
import { parseJsonBody, validateInput } from '../middleware/request-validation.js';
import type { Platform } from '../composition/platform.js';

type AdminRoute = (event: APIGatewayProxyEvent, platform: Platform) => Promise<APIGatewayProxyResult>;

const admin = (p: Platform) => p.tenantAdmin();

const tenantOf = (event: APIGatewayProxyEvent) => validateInput(tenantPathSchema, event.pathParameters ?? {}, 'path').tenantId;

const ROUTES: Record<string, AdminRoute> = {
  'GET /admin/status': async (_event, p) => {
    const [status, operations] = await Promise.all([admin(p).status(), p.operations()]);
    return json(200, { ...status, operations });
  },
  'GET /admin/tenants': async (event, p) => {
    const query = validateInput(listTenantsQuerySchema, event.queryStringParameters ?? {}, 'query');
    const cursors = await p.cursors();
    const after = query.cursor === undefined ? undefined : cursors.decode('*', 'tenants', query.cursor);
    const page = await admin(p).list(query.limit, after);
    return json(200, { items: page.items, nextCursor: page.next === undefined ? null : cursors.encode('*', 'tenants', page.next) });
  },
  'POST /admin/tenants': async (event, p) => {
    const input = validateInput(createTenantSchema, parseJsonBody(event, 16 * 1024), 'body');
    return json(201, await admin(p).create(input), { 'cache-control': 'no-store' });
  },
  'GET /admin/tenants/top': async (event, p) => {
    const { limit } = validateInput(topTenantsQuerySchema, event.queryStringParameters ?? {}, 'query');
    return json(200, { items: await topGroups(p.usage, p.clock, limit) });
  },
  'GET /admin/tenants/{tenantId}': async (event, p) => json(200, await admin(p).show(tenantOf(event))),
  'POST /admin/tenants/{tenantId}/tokens': async (event, p) =>
    json(201, await admin(p).rotateToken(tenantOf(event)), { 'cache-control': 'no-store' }),
};

export const handler = adminApiHandler(async (event, p) => {
  const route = ROUTES[`${event.httpMethod} ${event.resource}`];
  if (!route) throw new Problem('route-not-found', `No admin route ${event.httpMethod} ${event.resource}. See \`headroom --help\`.`);
  return route(event, p);
});
