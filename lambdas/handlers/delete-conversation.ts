// DELETE /v1/conversations/{id}: a soft delete (tombstone), so downstream copies learn of it by version.
import { conversationPathSchema } from '../core/api-contract.js';
import { noContent, tenantApiHandler } from '../middleware/api-handler.js';

export const handler = tenantApiHandler({ path: conversationPathSchema }, async ({ platform, tenant, path }) => {
  const service = platform.conversations(tenant);
  await service.remove(path.id);
  return noContent();
});
