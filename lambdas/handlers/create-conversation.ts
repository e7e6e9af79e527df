// POST /v1/conversations
import { createConversationSchema } from '../core/api-contract.js';
import { json, tenantApiHandler } from '../middleware/api-handler.js';

export const handler = tenantApiHandler(
  { body: createConversationSchema, idempotent: true },
  async ({ platform, tenant, body, idempotencyKey }) => {
    const service = platform.conversations(tenant);
    const { value, replayed } = await service.create(body, idempotencyKey);
    return json(201, value, { location: `/v1/conversations/${value.id}`, 'idempotent-replayed': String(replayed) });
  },
);
