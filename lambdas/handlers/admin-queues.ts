// The queue admin API (/admin/queues): depth, in-flight and oldest age per job queue and DLQ; DLQ redrive.
import { queuePathSchema } from '../core/api-contract.js';
import { queuesOf } from '../composition/queues.js';
import { adminApiHandler, json } from '../middleware/api-handler.js';

export const handler = adminApiHandler({
  'GET /admin/queues': {
    handle: async ({ platform }) => json(200, { items: await queuesOf(platform).status() }),
  },
  'POST /admin/queues/{queue}/redrive': {
    path: queuePathSchema,
    handle: async ({ platform, path }) => json(202, await queuesOf(platform).redrive(path.queue)),
  },
});
