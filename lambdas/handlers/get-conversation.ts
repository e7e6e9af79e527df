// GET /v1/conversations/{id}?limit&cursor: the conversation and a page of its comments, oldest first.
import { conversationPathSchema, getConversationQuerySchema } from '../core/api-contract.js';
import { json, tenantApiHandler } from '../middleware/api-handler.js';

export const handler = tenantApiHandler(
  { path: conversationPathSchema, query: getConversationQuerySchema },
  async ({ platform, tenant, path, query }) => {
    const service = platform.conversations(tenant);
    return json(200, await service.get(path.id, query.limit, query.cursor));
  },
);
