// The migrations admin API: every migration in flight (search and tenant moves), search generations, the
// search index migration's commands, and the derived-data reconciler's status and runs (its repair function does the
// work, paced, and picks a requested run up at its next invocation). Each route declares its input with the shared schemas and makes one call
// into core; the work itself is done by the migration runner, which every command that changes the migration wakes.
import { searchCutoverSchema, searchRollbackSchema, startSearchMigrationSchema } from '../core/api-contract.js';
import { describeIndexMigration, summarizeMigration } from '../core/migrations/index-migration-report.js';
import { repairPassPathSchema, repairRunSchema } from '../core/repair/derived-data-repair.js';
import { wakeMigration } from '../composition/migration-launcher.js';
import { repairOf } from '../composition/repair.js';
import { Problem } from '../core/problems.js';
import { searchServicesOf } from '../composition/search.js';
import { ADMIN_BODY_BYTES, adminApiHandler, json } from '../middleware/api-handler.js';

export const handler = adminApiHandler({
  'GET /admin/migrations': {
    handle: async ({ platform }) => json(200, { items: (await platform.migrations.list()).map(summarizeMigration) }),
  },
  'GET /admin/search/generations': {
    handle: async ({ platform }) => json(200, { items: await (await searchServicesOf(platform)).migration.generations() }),
  },
  'POST /admin/search/migration': {
    body: startSearchMigrationSchema,
    maxBodyBytes: ADMIN_BODY_BYTES.searchMigration,
    handle: async ({ platform, body }) => {
      const record = await (await searchServicesOf(platform)).migration.start(body);
      await wakeMigration(platform, record.id);
      return json(202, record);
    },
  },
  'GET /admin/search/migration': {
    handle: async ({ platform }) => {
      const search = await searchServicesOf(platform);
      const status = await search.migration.status();
      return json(200, describeIndexMigration(status, await search.shadow(status.migration.id)));
    },
  },
  'POST /admin/search/migration/cutover': {
    body: searchCutoverSchema,
    maxBodyBytes: ADMIN_BODY_BYTES.searchMigration,
    handle: async ({ platform, body }) => {
      const result = await (await searchServicesOf(platform)).migration.cutover(body);
      // The runner may be asleep in a long wait; it goes on from the phase the cutover left.
      await wakeMigration(platform, result.migrationId);
      return json(200, result);
    },
  },
  'POST /admin/search/migration/rollback': {
    body: searchRollbackSchema,
    maxBodyBytes: ADMIN_BODY_BYTES.searchMigration,
    handle: async ({ platform, body }) => {
      const result = await (await searchServicesOf(platform)).migration.rollback(body.tenants);
      await wakeMigration(platform, result.migrationId);
      return json(200, result);
    },
  },
  'POST /admin/search/migration/complete': {
    handle: async ({ platform }) => {
      const record = await (await searchServicesOf(platform)).migration.complete();
      await wakeMigration(platform, record.id);
      return json(202, record);
    },
  },
  'GET /admin/repair': {
    handle: async ({ platform }) => json(200, await (await repairOf(platform)).status()),
  },
  'POST /admin/repair/runs': {
    body: repairRunSchema,
    maxBodyBytes: ADMIN_BODY_BYTES.tenant,
    handle: async ({ platform, body }) => json(202, await (await repairOf(platform)).request(body)),
  },
  'GET /admin/repair/runs/{passId}': {
    path: repairPassPathSchema,
    handle: async ({ platform, path }) => {
      const pass = await (await repairOf(platform)).pass(path.passId);
      if (!pass)
        throw new Problem('not-found', `No repair pass ${path.passId}: passes are kept for 30 days. See \`headroom repair status\`.`);
      return json(200, pass);
    },
  },
  'POST /admin/search/migration/cancel': {
    handle: async ({ platform }) => {
      const record = await (await searchServicesOf(platform)).migration.cancel();
      await wakeMigration(platform, record.id);
      return json(202, record);
    },
  },
});
