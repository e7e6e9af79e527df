// SQS consumer (main and overflow job queues): every job goes through every job processor, each idempotent on
// (key, v): usage metering, search indexing (every write generation), and conversation summaries (background lane).
import { summarizeAfterComment } from '../core/llm/conversation-summary.js';
import { processJob, type JobProcessor } from '../core/jobs/job-worker.js';
import { indexJob } from '../core/search/search-indexer.js';
import { meterJob } from '../core/jobs/usage-meter.js';
import { jobConsumerHandler } from '../middleware/job-consumer.js';
import type { Platform } from '../composition/platform.js';

const processors = (platform: Platform): JobProcessor[] => [
  { name: 'usage', apply: (job) => meterJob(job, platform.usage) },
  ...(platform.env.search
    ? [{ name: 'search', apply: async (job) => indexJob(job, (await platform.search()).indexer) } satisfies JobProcessor]
    : []),
  { name: 'summary', apply: (job) => summarizeAfterComment(job, platform.summaryJobDeps()) },
];

export const handler = jobConsumerHandler((job, platform) => processJob(job, processors(platform)));
