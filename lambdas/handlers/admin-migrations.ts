// The migrations admin API: every migration in flight (search and tenant moves), search generations, and the
// search index migration's commands. Each route validates its input with the shared schemas and makes one call
// into core; the work itself is done by the migration runner, which a start wakes.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { searchCutoverSchema, searchRollbackSchema, startSearchMigrationSchema } from '../core/api-contract.js';
import { describeIndexMigration, summarizeMigration } from '../core/migrations/index-migration-report.js';
import { Problem } from '../core/problems.js';
import { adminApiHandler, json } from '../middleware/api-handler.js';
import { parseJsonBody, validateInput } from '../middleware/request-validation.js';
import type { Platform } from '../composition/platform.js';

type Route = (event: APIGatewayProxyEvent, platform: Platform) => Promise<APIGatewayProxyResult>;

const body = (event: APIGatewayProxyEvent) => parseJsonBody(event, 256 * 1024);

const ROUTES: Record<string, Route> = {
  'GET /admin/migrations': async (_event, p) => json(200, { items: (await p.migrations.list()).map(summarizeMigration) }),
  'GET /admin/search/generations': async (_event, p) => json(200, { items: await (await p.search()).migration.generations() }),
  'POST /admin/search/migration': async (event, p) => {
    const input = validateInput(startSearchMigrationSchema, body(event), 'body');
    const record = await (await p.search()).migration.start(input);
    await p.wakeMigration(record.id);
    return json(202, record);
  },
  'GET /admin/search/migration': async (_event, p) => {
    const search = await p.search();
    const status = await search.migration.status();
    return json(200, describeIndexMigration(status, await search.shadow(status.migration.id)));
  },
  'POST /admin/search/migration/cutover': async (event, p) => {
    const selection = validateInput(searchCutoverSchema, body(event), 'body');
    return json(200, await (await p.search()).migration.cutover(selection));
  },
  'POST /admin/search/migration/rollback': async (event, p) => {
    const { tenants } = validateInput(searchRollbackSchema, body(event), 'body');
    const result = await (await p.search()).migration.rollback(tenants);
    return json(200, result);
  },
  'POST /admin/search/migration/complete': async (_event, p) => {
    const record = await (await p.search()).migration.complete();
    await p.wakeMigration(record.id);
    return json(202, record);
  },
  'POST /admin/search/migration/cancel': async (_event, p) => {
    const record = await (await p.search()).migration.cancel();
    await p.wakeMigration(record.id);
    return json(202, record);
  },
};

export const handler = adminApiHandler(async (event, p) => {
  const route = ROUTES[`${event.httpMethod} ${event.resource}`];
  if (!route) throw new Problem('route-not-found', `No admin route ${event.httpMethod} ${event.resource}. See \`headroom --help\`.`);
  return route(event, p);
});
