// The migration runner's composition: one runner step over every kind of migration (tenant moves and, where the
// platform has search, search index migrations), with the search migration's progress reported after each step.
// Only the migration-step function imports this file.
import { runMigrationSteps, type Playbook, type RunOutcome } from '../core/migrations/migration-runner.js';
import { movesOf } from './moves.js';
import type { Platform } from './platform.js';
import { searchServicesOf } from './search.js';

/** Advances a migration of any kind until it waits, finishes or spends `budgetMs`, then reports its progress. */
export async function migrationStep(platform: Platform, migrationId: string, budgetMs: number): Promise<RunOutcome> {
  const { env, clock, migrations } = platform.parts;
  const search = env.search ? await searchServicesOf(platform) : undefined;
  const playbooks = [(await movesOf(platform)).playbook, ...(search ? [search.migration.playbook] : [])];
  const outcome = await runMigrationSteps(migrationId, { store: migrations, playbooks: playbooks as Playbook<never>[], clock, budgetMs });
  if (search) await search.reportProgress(migrationId);
  return outcome;
}
