// Every job goes to every job processor (usage meter, search indexer, …) in one consumer, because an SQS
// message reaches one consumer only. Each processor is idempotent on (key, v), so when one fails and the job is
// redelivered, the processors that already succeeded simply repeat a no-op.
import type { Job } from './jobs.js';

export interface JobProcessor {
  readonly name: string;
  apply(job: Job): Promise<string>;
}

/** Runs every processor on the job; the first failure fails the job (it is retried, then dead-lettered). */
export async function processJob(job: Job, processors: readonly JobProcessor[]): Promise<string> {
  const outcomes: string[] = [];
  for (const processor of processors) outcomes.push(`${processor.name}: ${await processor.apply(job)}`);
  return outcomes.join('; ');
}
