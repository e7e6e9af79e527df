// GET /v1/conversations?limit&cursor
import { listQuerySchema } from '../core/api-contract.js';
import { json, tenantApiHandler } from '../middleware/api-handler.js';

export const handler = tenantApiHandler({ query: listQuerySchema }, async ({ platform, tenant, query }) => {
  const service = platform.conversations(tenant);
  return json(200, await service.list(query.limit, query.cursor));
});
