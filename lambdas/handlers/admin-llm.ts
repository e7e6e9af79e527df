// The LLM routing admin API (/admin/llm/...): every route's state as this instance sees it, and operator drains
// that take a route out of rotation on every instance (and put it back).
import * as z from 'zod';
import { llmOf } from '../composition/llm.js';
import { routeIdSchema } from '../core/llm/llm-settings.js';
import { ADMIN_BODY_BYTES, adminApiHandler, json } from '../middleware/api-handler.js';

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
/** A drain or restore needs no body; a reason, when given, goes into the drain record. */
const drainInput = { path: pathSchema, body: bodySchema, bodyOptional: true, maxBodyBytes: ADMIN_BODY_BYTES.reason } as const;

export const handler = adminApiHandler({
  'GET /admin/llm/routes': {
    handle: async ({ platform }) => {
      const { router } = await llmOf(platform);
      return json(200, { items: await router.status(), retryBalance: router.retryBalance() });
    },
  },
  'POST /admin/llm/routes/{routeId}/drain': {
    ...drainInput,
    handle: async ({ platform, path, body, principal }) =>
      json(200, await (await llmOf(platform)).drains.set(path.routeId, true, principal, body.reason)),
  },
  'POST /admin/llm/routes/{routeId}/restore': {
    ...drainInput,
    handle: async ({ platform, path, body, principal }) =>
      json(200, await (await llmOf(platform)).drains.set(path.routeId, false, principal, body.reason)),
  },
});
