// POST /v1/conversations/{id}/suggest-reply: a suggested next reply (interactive lane), with the routing block.
import { conversationPathSchema } from '../core/api-contract.js';
import { routingHeaders, suggestReply, suggestReplyBodySchema } from '../core/llm/reply-suggestions.js';
import { json, tenantApiHandler } from '../middleware/api-handler.js';

export const handler = tenantApiHandler(
  { path: conversationPathSchema, body: suggestReplyBodySchema, maxBodyBytes: 1024 },
  async ({ platform, tenant, path, body }) => {
    const { router } = await platform.llm();
    const deps = {
      tenant,
      store: platform.conversationStore(tenant),
      summaries: platform.summaryStore(tenant),
      router,
      quota: platform.tokenQuota(),
    };
    const result = await suggestReply(deps, path.id, body.tone);
    return json(200, result, routingHeaders(result.routing));
  },
);
