// The tenant-move admin API: shards, starting a move, following it, and the operator's cancel / reverse /
// complete. Each route declares its input with the shared schemas and makes one call into core.
import { tenantPathSchema } from '../core/api-contract.js';
import { startMoveSchema } from '../core/tenancy/shard-topology.js';
import { movesOf } from '../composition/moves.js';
import type { Platform } from '../composition/platform.js';
import { ADMIN_BODY_BYTES, adminApiHandler, json } from '../middleware/api-handler.js';

const moves = async (p: Platform) => (await movesOf(p)).admin;

export const handler = adminApiHandler({
  'GET /admin/shards': {
    handle: async ({ platform }) => json(200, { items: await (await moves(platform)).shards() }),
  },
  'POST /admin/tenants/{tenantId}/move': {
    path: tenantPathSchema,
    body: startMoveSchema,
    maxBodyBytes: ADMIN_BODY_BYTES.shardName,
    handle: async ({ platform, path, body }) => json(202, await (await moves(platform)).start(path.tenantId, body.to)),
  },
  'GET /admin/moves': {
    handle: async ({ platform }) => json(200, { items: await (await moves(platform)).list() }),
  },
  'GET /admin/moves/{tenantId}': {
    path: tenantPathSchema,
    handle: async ({ platform, path }) => json(200, await (await moves(platform)).show(path.tenantId)),
  },
  'POST /admin/moves/{tenantId}/cancel': {
    path: tenantPathSchema,
    handle: async ({ platform, path }) => json(202, await (await moves(platform)).cancel(path.tenantId)),
  },
  'POST /admin/moves/{tenantId}/reverse': {
    path: tenantPathSchema,
    handle: async ({ platform, path }) => json(202, await (await moves(platform)).reverse(path.tenantId)),
  },
  'POST /admin/moves/{tenantId}/complete': {
    path: tenantPathSchema,
    handle: async ({ platform, path }) => json(202, await (await moves(platform)).complete(path.tenantId)),
  },
});
