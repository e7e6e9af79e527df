// The job worker's composition: every job goes through every processor, each idempotent on (key, v): usage
// metering, search indexing of every write generation (where the platform has search), and conversation
// summaries (the background LLM lane). Which processors run is decided here, once, never by a handler.
import type { Job } from '../core/jobs/jobs.js';
import { processJob, type JobProcessor } from '../core/jobs/job-worker.js';
import { meterJob } from '../core/jobs/usage-meter.js';
import { summarizeAfterComment } from '../core/llm/conversation-summary.js';
import { indexJob } from '../core/search/search-indexer.js';
import { summaryJobDeps } from './llm.js';
import type { Platform } from './platform.js';
import { searchServicesOf } from './search.js';

export interface JobWorker {
  /** Applies one job with every processor; the outcome names what each did. */
  process(job: Job): Promise<string>;
}

/** This platform's job worker, built on first use. */
export const jobWorkerOf = (platform: Platform): JobWorker =>
  platform.parts.once(jobWorkerOf, () => {
    const { env, usage } = platform.parts;
    const processors: JobProcessor[] = [
      { name: 'usage', apply: (job) => meterJob(job, usage) },
      ...(env.search
        ? [{ name: 'search', apply: async (job) => indexJob(job, (await searchServicesOf(platform)).indexer) } satisfies JobProcessor]
        : []),
      { name: 'summary', apply: (job) => summarizeAfterComment(job, summaryJobDeps(platform)) },
    ];
    return { process: (job) => processJob(job, processors) };
  });
