// The flag admin API (/admin/flags/...): IAM-authorised on AWS, admin token locally. Each route validates its
// input with the shared contract and makes one call into core; the caller's identity is the audit principal.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  flagHistoryQuerySchema,
  flagPathSchema,
  evaluateFlagQuerySchema,
  flagReasonBodySchema,
  killFlagBodySchema,
  rolloutFlagBodySchema,
  setFlagBodySchema,
  flagTenantsBodySchema,
  unpinFlagBodySchema,
} from '../core/api-contract.js';
import { adminApiHandler, json } from '../middleware/api-handler.js';
import { parseJsonBody, validateInput } from '../middleware/request-validation.js';
import { Problem } from '../core/problems.js';
import type { Platform } from '../composition/platform.js';

type FlagRoute = (key: string, event: APIGatewayProxyEvent, platform: Platform) => Promise<APIGatewayProxyResult>;

const principal = (event: APIGatewayProxyEvent): string => event.requestContext?.identity?.userArn ?? 'unknown';
const body = <T>(event: APIGatewayProxyEvent, schema: Parameters<typeof validateInput<T>>[0]) =>
  validateInput(schema, parseJsonBody(event, 512 * 1024), 'body');
const query = <T>(event: APIGatewayProxyEvent, schema: Parameters<typeof validateInput<T>>[0]) =>
  validateInput(schema, event.queryStringParameters ?? {}, 'query');

const ROUTES: Record<string, FlagRoute> = {
  'GET /admin/flags/{flagKey}': async (key, _event, p) => json(200, await p.flagAdmin().get(key)),
  'PUT /admin/flags/{flagKey}': async (key, event, p) => {
    const { definition, expectedVersion, reason } = body(event, setFlagBodySchema);
    return json(200, await p.flagAdmin().set(key, definition, { principal: principal(event), reason, expectedVersion }));
  },
  'POST /admin/flags/{flagKey}/enable': async (key, event, p) =>
    json(200, await p.flagAdmin().enable(key, { principal: principal(event), ...body(event, flagReasonBodySchema) })),
  'POST /admin/flags/{flagKey}/disable': async (key, event, p) =>
    json(200, await p.flagAdmin().disable(key, { principal: principal(event), ...body(event, flagReasonBodySchema) })),
  'POST /admin/flags/{flagKey}/kill': async (key, event, p) =>
    json(200, await p.flagAdmin().kill(key, { principal: principal(event), ...body(event, killFlagBodySchema) })),
  'POST /admin/flags/{flagKey}/allow': async (key, event, p) => {
    const { tenants, ...change } = body(event, flagTenantsBodySchema);
    return json(200, await p.flagAdmin().allow(key, tenants, { principal: principal(event), ...change }));
  },
  'POST /admin/flags/{flagKey}/deny': async (key, event, p) => {
    const { tenants, variant, ...change } = body(event, flagTenantsBodySchema);
    if (variant !== undefined) throw new Problem('validation-failed', 'deny always pins the "off" variant; do not name one.');
    return json(200, await p.flagAdmin().deny(key, tenants, { principal: principal(event), ...change }));
  },
  'POST /admin/flags/{flagKey}/unpin': async (key, event, p) => {
    const { tenants, ...change } = body(event, unpinFlagBodySchema);
    return json(200, await p.flagAdmin().unpin(key, tenants, { principal: principal(event), ...change }));
  },
  'POST /admin/flags/{flagKey}/rollout': async (key, event, p) => {
    const { percent, ...change } = body(event, rolloutFlagBodySchema);
    return json(200, await p.flagAdmin().rollout(key, percent, { principal: principal(event), ...change }));
  },
  'GET /admin/flags/{flagKey}/history': async (key, event, p) =>
    json(200, { items: await p.flagAdmin().history(key, query(event, flagHistoryQuerySchema).limit) }),
  'GET /admin/flags/{flagKey}/evaluate': async (key, event, p) => {
    const { tenant } = query(event, evaluateFlagQuerySchema);
    const profile = await p.control.getTenant(tenant);
    if (!profile) throw new Problem('not-found', `Tenant ${tenant} does not exist. List tenants with \`headroom tenants list\`.`);
    return json(200, await p.flagAdmin().evaluate(key, profile));
  },
};

export const handler = adminApiHandler(async (event, p) => {
  if (event.resource === '/admin/flags') return json(200, { items: await p.flagAdmin().list() });
  const route = ROUTES[`${event.httpMethod} ${event.resource}`];
  if (!route) throw new Problem('route-not-found', `No admin route ${event.httpMethod} ${event.resource}. See \`headroom flags --help\`.`);
  const { flagKey } = validateInput(flagPathSchema, event.pathParameters ?? {}, 'path');
  return route(flagKey, event, p);
});
