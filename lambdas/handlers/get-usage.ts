// GET /v1/usage?minutes: the caller's own conversations and comments created per minute.
import { usageQuerySchema } from '../core/api-contract.js';
import { json, tenantApiHandler } from '../middleware/api-handler.js';

export const handler = tenantApiHandler({ query: usageQuerySchema }, async ({ platform, tenant, query }) =>
  json(200, await platform.usage.tenant(tenant.tenantId, query.minutes)),
);
