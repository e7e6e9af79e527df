// Waking the migration runner for a migration: Step Functions on AWS, the embedded platform's in-process loop
// locally. The work itself happens in runner steps (./migration-runner.ts); operator commands only wake it.
import { Problem } from '../core/problems.js';
import type { Platform } from './platform.js';

export async function wakeMigration(platform: Platform, migrationId: string): Promise<void> {
  const { env, host } = platform.parts;
  if (host.startMigration) return host.startMigration(migrationId);
  if (!env.migrationRunnerArn)
    throw new Problem('internal', 'No migration runner is configured (HEADROOM_MIGRATION_RUNNER_ARN is not set).');
  const { stepFunctionsLauncher } = await import('../adapters/aws/sfn-migration-launcher.js');
  return stepFunctionsLauncher(env.migrationRunnerArn)(migrationId);
}
