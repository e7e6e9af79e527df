// The tenant-move admin API: shards, starting a move, following it, and the operator's cancel / reverse /
// complete. Each route validates its input with the shared schemas and makes one call into core.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { tenantPathSchema } from '../core/api-contract.js';
import { startMoveSchema } from '../core/tenancy/shard-topology.js';
import { Problem } from '../core/problems.js';
import { adminApiHandler, json } from '../middleware/api-handler.js';
import { parseJsonBody, validateInput } from '../middleware/request-validation.js';
import type { Platform } from '../composition/platform.js';

type MoveRoute = (event: APIGatewayProxyEvent, platform: Platform) => Promise<APIGatewayProxyResult>;

const tenantOf = (event: APIGatewayProxyEvent) => validateInput(tenantPathSchema, event.pathParameters ?? {}, 'path').tenantId;
const admin = async (p: Platform) => (await p.moves()).admin;

const ROUTES: Record<string, MoveRoute> = {
  'GET /admin/shards': async (_event, p) => json(200, { items: await (await admin(p)).shards() }),
  'POST /admin/tenants/{tenantId}/move': async (event, p) => {
    const { to } = validateInput(startMoveSchema, parseJsonBody(event, 1024), 'body');
    return json(202, await (await admin(p)).start(tenantOf(event), to));
  },
  'GET /admin/moves': async (_event, p) => json(200, { items: await (await admin(p)).list() }),
  'GET /admin/moves/{tenantId}': async (event, p) => json(200, await (await admin(p)).show(tenantOf(event))),
  'POST /admin/moves/{tenantId}/cancel': async (event, p) => json(202, await (await admin(p)).cancel(tenantOf(event))),
  'POST /admin/moves/{tenantId}/reverse': async (event, p) => json(202, await (await admin(p)).reverse(tenantOf(event))),
  'POST /admin/moves/{tenantId}/complete': async (event, p) => json(202, await (await admin(p)).complete(tenantOf(event))),
};

export const handler = adminApiHandler(async (event, p) => {
  const route = ROUTES[`${event.httpMethod} ${event.resource}`];
  if (!route) throw new Problem('route-not-found', `No admin route ${event.httpMethod} ${event.resource}. See \`headroom --help\`.`);
  return route(event, p);
});
