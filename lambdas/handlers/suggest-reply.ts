// POST /v1/conversations/{id}/suggest-reply: a suggested next reply (interactive lane), with the routing block.
import { conversationPathSchema } from '../core/api-contract.js';
import { routingHeaders, suggestReplyBodySchema } from '../core/llm/reply-suggestions.js';
import { repliesOf } from '../composition/llm.js';
import { json, tenantApiHandler } from '../middleware/api-handler.js';

export const handler = tenantApiHandler(
  { path: conversationPathSchema, body: suggestReplyBodySchema, maxBodyBytes: 1024 },
  async ({ platform, tenant, path, body }) => {
    const result = await repliesOf(platform, tenant).suggest(path.id, body.tone);
    return json(200, result, routingHeaders(result.routing));
  },
);
