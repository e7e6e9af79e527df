// POST /v1/conversations/{id}/comments
import { conversationPathSchema, createCommentSchema } from '../core/api-contract.js';
import { json, tenantApiHandler } from '../middleware/api-handler.js';

export const handler = tenantApiHandler(
  { path: conversationPathSchema, body: createCommentSchema, idempotent: true },
  async ({ platform, tenant, path, body, idempotencyKey }) => {
    const service = platform.conversations(tenant);
    const { value, replayed } = await service.addComment(path.id, body, idempotencyKey);
    return json(201, value, { 'idempotent-replayed': String(replayed) });
  },
);
