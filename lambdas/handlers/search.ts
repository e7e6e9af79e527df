// GET /v1/search?q&limit&cursor: hits from the tenant's read generation (flag `search.read-generation`).
import { searchQuerySchema } from '../core/api-contract.js';
import { searchOf } from '../composition/search.js';
import { json, tenantApiHandler } from '../middleware/api-handler.js';

export const handler = tenantApiHandler({ query: searchQuerySchema }, async ({ platform, tenant, query }) => {
  const result = await searchOf(platform, tenant).search(query.q, query.limit, query.cursor);
  return json(200, { items: result.items, nextCursor: result.nextCursor }, { 'x-headroom-search-generation': result.generation });
});
