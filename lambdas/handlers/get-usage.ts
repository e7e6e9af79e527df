// GET /v1/usage?minutes: the caller's own conversations and comments created per minute.
import { usageQuerySchema } from '../core/api-contract.js';
import { tenantUsage } from '../core/jobs/usage-meter.js';
import { json, tenantApiHandler } from '../middleware/api-handler.js';

export const handler = tenantApiHandler({ query: usageQuerySchema }, async ({ platform, tenant, query }) =>
  json(200, await tenantUsage(tenant.tenantId, query.minutes, platform.usage, platform.clock)),
);
