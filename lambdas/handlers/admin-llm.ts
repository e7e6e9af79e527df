// The LLM routing admin API (/admin/llm/...): every route's state as this instance sees it, and operator drains
// that take a route out of rotation on every instance (and put it back).
import * as z from 'zod';
import { routeIdSchema } from '../llm-routes.js';
import { adminApiHandler, json } from '../middleware/api-handler.js';
import { parseJsonBody, validateInput } from '../middleware/request-validation.js';

const pathSchema = z.strictObject({ routeId: routeIdSchema });
const bodySchema = z.strictObject({
  reason: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .regex(/^[^\p{Cc}]*$/u)
    .optional(),
});

export const handler = adminApiHandler(async (event, p) => {
  const { router, drains } = await p.llm();
  if (event.httpMethod === 'GET') return json(200, { items: await router.status(), retryBalance: router.retryBalance() });
  const { routeId } = validateInput(pathSchema, event.pathParameters ?? {}, 'path');
  const { reason } = event.body ? validateInput(bodySchema, parseJsonBody(event, 4096), 'body') : { reason: undefined };
  const principal = event.requestContext?.identity?.userArn ?? 'unknown';
  return json(200, await drains.set(routeId, event.resource.endsWith('/drain'), principal, reason));
});
