// The flag admin API (/admin/flags/...): IAM-authorised on AWS, admin token locally. Each route declares its
// input with the shared contract and makes one call into core; the caller's identity is the audit principal.
import {
  flagHistoryQuerySchema,
  flagPathSchema,
  evaluateFlagQuerySchema,
  flagReasonBodySchema,
  killFlagBodySchema,
  rolloutFlagBodySchema,
  setFlagBodySchema,
  flagTenantsBodySchema,
  unpinFlagBodySchema,
} from '../core/api-contract.js';
import { evaluateForTenant } from '../core/flags/flag-admin.js';
import { ADMIN_BODY_BYTES, adminApiHandler, json } from '../middleware/api-handler.js';

const flagRead = { path: flagPathSchema } as const;
const flagCommand = { path: flagPathSchema, maxBodyBytes: ADMIN_BODY_BYTES.flag } as const;

export const handler = adminApiHandler({
  'GET /admin/flags': {
    handle: async ({ platform }) => json(200, { items: await platform.flagAdmin().list() }),
  },
  'GET /admin/flags/{flagKey}': {
    ...flagRead,
    handle: async ({ platform, path }) => json(200, await platform.flagAdmin().get(path.flagKey)),
  },
  'PUT /admin/flags/{flagKey}': {
    ...flagCommand,
    body: setFlagBodySchema,
    handle: async ({ platform, path, body: { definition, expectedVersion, reason }, principal }) =>
      json(200, await platform.flagAdmin().set(path.flagKey, definition, { principal, reason, expectedVersion })),
  },
  'POST /admin/flags/{flagKey}/enable': {
    ...flagCommand,
    body: flagReasonBodySchema,
    handle: async ({ platform, path, body, principal }) =>
      json(200, await platform.flagAdmin().enable(path.flagKey, { principal, ...body })),
  },
  'POST /admin/flags/{flagKey}/disable': {
    ...flagCommand,
    body: flagReasonBodySchema,
    handle: async ({ platform, path, body, principal }) =>
      json(200, await platform.flagAdmin().disable(path.flagKey, { principal, ...body })),
  },
  'POST /admin/flags/{flagKey}/kill': {
    ...flagCommand,
    body: killFlagBodySchema,
    handle: async ({ platform, path, body, principal }) => json(200, await platform.flagAdmin().kill(path.flagKey, { principal, ...body })),
  },
  'POST /admin/flags/{flagKey}/allow': {
    ...flagCommand,
    body: flagTenantsBodySchema,
    handle: async ({ platform, path, body: { tenants, ...change }, principal }) =>
      json(200, await platform.flagAdmin().allow(path.flagKey, tenants, { principal, ...change })),
  },
  'POST /admin/flags/{flagKey}/deny': {
    ...flagCommand,
    body: flagTenantsBodySchema,
    handle: async ({ platform, path, body: { tenants, ...change }, principal }) =>
      json(200, await platform.flagAdmin().deny(path.flagKey, tenants, { principal, ...change })),
  },
  'POST /admin/flags/{flagKey}/unpin': {
    ...flagCommand,
    body: unpinFlagBodySchema,
    handle: async ({ platform, path, body: { tenants, ...change }, principal }) =>
      json(200, await platform.flagAdmin().unpin(path.flagKey, tenants, { principal, ...change })),
  },
  'POST /admin/flags/{flagKey}/rollout': {
    ...flagCommand,
    body: rolloutFlagBodySchema,
    handle: async ({ platform, path, body: { percent, ...change }, principal }) =>
      json(200, await platform.flagAdmin().rollout(path.flagKey, percent, { principal, ...change })),
  },
  'GET /admin/flags/{flagKey}/history': {
    ...flagRead,
    query: flagHistoryQuerySchema,
    handle: async ({ platform, path, query }) => json(200, { items: await platform.flagAdmin().history(path.flagKey, query.limit) }),
  },
  'GET /admin/flags/{flagKey}/evaluate': {
    ...flagRead,
    query: evaluateFlagQuerySchema,
    handle: async ({ platform, path, query }) =>
      json(200, await evaluateForTenant(platform.flagAdmin(), platform.control, path.flagKey, query.tenant)),
  },
});
