// The migration runner on the embedded platform: the Step Functions loop of AWS, as an in-process loop per active
// migration that invokes the same `migration-step` function and honours its answer (done, or wait this long). A start (or any operator command) wakes the migration's loop; on
// start-up every migration left unfinished by an earlier run is picked up again, which is all "resume after a
// crash" needs, because every step's progress is saved in the control table.
import { isTerminal } from '../lambdas/core/migrations/migration-runner.js';
import type { MigrationStore } from '../lambdas/core/ports.js';
import { interruptiblePause, type InterruptiblePause } from './interruptible-pause.js';

export interface MigrationLoopOptions {
  readonly migrations: MigrationStore;
  /** One invocation of the step function with this time budget: done, or the seconds to wait before the next. */
  readonly run: (migrationId: string, budgetMs: number) => Promise<{ readonly done: boolean; readonly waitSeconds: number }>;
  /** Time per run before the loop yields (and saves a progress line). @default 5000 */
  readonly budgetMs?: number;
  /** Pause after a failed step before trying again. @default 2000 */
  readonly retryMs?: number;
  readonly log?: (line: string) => void;
}

export interface MigrationLoop {
  /** Starts (or hurries) the loop of a migration. */
  wake(migrationId: string): Promise<void>;
  /** Ids with a loop running. */
  active(): string[];
  /** Stops after the step in progress; the next start resumes from the saved state. */
  stop(): Promise<void>;
}

export async function startMigrationLoop(options: MigrationLoopOptions): Promise<MigrationLoop> {
  const loops = new Map<string, { pause: InterruptiblePause; done: Promise<void> }>();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let stopping = false;

  const runLoop = async (id: string, pause: InterruptiblePause) => {
    while (!stopping) {
      let outcome: { readonly done: boolean; readonly waitSeconds: number };
      try {
        outcome = await options.run(id, options.budgetMs ?? 5000);
      } catch (error) {
        log(`migration ${id}: step failed (${(error as Error).message}); retrying`);
        await pause.pause(options.retryMs ?? 2000);
        continue;
      }
      if (outcome.done) return;
      if (outcome.waitSeconds > 0) await pause.pause(outcome.waitSeconds * 1000);
    }
  };

  const wake = async (id: string) => {
    const existing = loops.get(id);
    if (existing) return existing.pause.interrupt();
    if (stopping) return;
    const pause = interruptiblePause();
    const done = runLoop(id, pause).finally(() => loops.delete(id));
    loops.set(id, { pause, done });
  };

  for (const record of await options.migrations.list()) if (!isTerminal(record.phase)) await wake(record.id);

  return {
    wake,
    active: () => [...loops.keys()],
    async stop() {
      stopping = true;
      for (const loop of loops.values()) loop.pause.interrupt();
      await Promise.all([...loops.values()].map((loop) => loop.done));
    },
  };
}
