// GET /v1/search?q&limit&cursor: hits from the tenant's read generation (flag `search.read-generation`).
import { searchQuerySchema } from '../core/api-contract.js';
import { searchTenant } from '../core/search/search-service.js';
import { json, tenantApiHandler } from '../middleware/api-handler.js';

export const handler = tenantApiHandler({ query: searchQuerySchema }, async ({ platform, tenant, query }) => {
  const search = await platform.search();
  const result = await searchTenant(
    {
      tenantId: tenant.tenantId,
      index: search.index,
      flags: platform.flags,
      generations: search.generations,
      cursors: platform.cursors,
      random: Math.random,
      nowMs: () => performance.now(),
      recordShadow: search.recordShadow,
    },
    query.q,
    query.limit,
    query.cursor,
  );
  return json(200, { items: result.items, nextCursor: result.nextCursor }, { 'x-headroom-search-generation': result.generation });
});
