// The admin API (/admin/...): IAM-authorised on AWS, admin-token-authorised by the embedded platform. Each route
// declares its input with the shared contract and makes one call into core.
import { createTenantSchema, listTenantsQuerySchema, tenantPathSchema, topTenantsQuerySchema } from '../core/api-contract.js';
import { tenantAdminOf } from '../composition/tenant-admin.js';
import { ADMIN_BODY_BYTES, adminApiHandler, json } from '../middleware/api-handler.js';

export const handler = adminApiHandler({
  'GET /admin/status': {
    handle: async ({ platform }) => {
      const [status, operations] = await Promise.all([tenantAdminOf(platform).status(), platform.operations()]);
      return json(200, { ...status, operations });
    },
  },
  'GET /admin/tenants': {
    query: listTenantsQuerySchema,
    handle: async ({ platform, query }) => {
      const cursors = await platform.cursors();
      const after = query.cursor === undefined ? undefined : cursors.decode('*', 'tenants', query.cursor);
      const page = await tenantAdminOf(platform).list(query.limit, after);
      return json(200, { items: page.items, nextCursor: page.next === undefined ? null : cursors.encode('*', 'tenants', page.next) });
    },
  },
  'POST /admin/tenants': {
    body: createTenantSchema,
    maxBodyBytes: ADMIN_BODY_BYTES.tenant,
    handle: async ({ platform, body }) => json(201, await tenantAdminOf(platform).create(body), { 'cache-control': 'no-store' }),
  },
  'GET /admin/tenants/top': {
    query: topTenantsQuerySchema,
    handle: async ({ platform, query }) => json(200, { items: await platform.usage.top(query.limit) }),
  },
  'GET /admin/tenants/{tenantId}': {
    path: tenantPathSchema,
    handle: async ({ platform, path }) => json(200, await tenantAdminOf(platform).show(path.tenantId)),
  },
  'POST /admin/tenants/{tenantId}/tokens': {
    path: tenantPathSchema,
    handle: async ({ platform, path }) =>
      json(201, await tenantAdminOf(platform).rotateToken(path.tenantId), { 'cache-control': 'no-store' }),
  },
});
