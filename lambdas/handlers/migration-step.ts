// The migration runner's step function on AWS: Step Functions invokes it in a loop with `{ migrationId }`; it
// advances the migration until it waits, finishes or nearly runs out of time, and tells the state machine which.
import type { Context } from 'aws-lambda';
import { logger } from '../observability.js';
import { migrationStep } from '../composition/migration-runner.js';
import { platform } from '../composition/platform.js';

/** Time kept back for saving the last step and answering. */
export const STEP_MARGIN_MS = 30_000;

export interface StepInput {
  readonly migrationId: string;
}

export interface StepOutput {
  readonly migrationId: string;
  readonly done: boolean;
  /** 0: more work is ready now (the step only ran out of its time budget). */
  readonly waitSeconds: number;
}

export const handler = async (input: StepInput, context: Context): Promise<StepOutput> => {
  logger.addContext(context);
  const outcome = await migrationStep(platform(), input.migrationId, Math.max(1000, context.getRemainingTimeInMillis() - STEP_MARGIN_MS));
  logger.info('migration step', {
    migrationId: input.migrationId,
    status: outcome.status,
    phase: 'record' in outcome ? outcome.record.phase : null,
  });
  const done = outcome.status === 'done' || outcome.status === 'missing';
  return { migrationId: input.migrationId, done, waitSeconds: outcome.status === 'waiting' ? Math.min(300, outcome.waitSeconds) : 0 };
};
