// The queue admin API (/admin/queues): depth, in-flight and oldest age per job queue and DLQ; DLQ redrive.
import { queuePathSchema } from '../core/api-contract.js';
import { adminApiHandler, json } from '../middleware/api-handler.js';
import { validateInput } from '../middleware/request-validation.js';

export const handler = adminApiHandler(async (event, p) => {
  if (event.httpMethod === 'GET') return json(200, { items: await p.queues().status() });
  const { queue } = validateInput(queuePathSchema, event.pathParameters ?? {}, 'path');
  return json(202, await p.queues().redrive(queue));
});
