// Migrations in progress, as the ops console shows them: read through the admin API (`GET /admin/migrations`), the
// same way the CLI reads them, so the console needs no access of its own to the control table. A platform built
// without that route has no migrations to show (null, printed as "none").
import type { MigrationInProgress } from '../lambdas/core/operations/operations-snapshot.js';
import { ROUTES } from '../lambdas/routes.js';

const MIGRATIONS_ROUTE = '/admin/migrations';
// Kept here rather than imported from the runner: the console only needs to know when a migration is over.
const FINISHED_PHASES = new Set(['completed', 'cancelled', 'reversed']);

export async function localMigrations(baseUrl: string, adminToken: string): Promise<MigrationInProgress[] | null> {
  if (!ROUTES.some((route) => route.method === 'GET' && route.path === MIGRATIONS_ROUTE)) return null;
  const response = await fetch(`${baseUrl}${MIGRATIONS_ROUTE}`, { headers: { authorization: `Bearer ${adminToken}` } });
  if (!response.ok) throw new Error(`GET ${MIGRATIONS_ROUTE} answered ${response.status}`);
  const body = (await response.json()) as { items?: Record<string, unknown>[] } | Record<string, unknown>[];
  const items = Array.isArray(body) ? body : (body.items ?? []);
  return items
    .map((item) => ({
      id: String(item.id ?? '?'),
      kind: String(item.kind ?? '?'),
      phase: String(item.phase ?? item.status ?? '?'),
      updatedAt: typeof item.updatedAt === 'string' ? item.updatedAt : null,
    }))
    .filter((migration) => !FINISHED_PHASES.has(migration.phase));
}
