// SQS consumer (main and overflow job queues): every job goes through every job processor, each idempotent on
// (key, v): usage metering, search indexing (every write generation), and conversation summaries (background lane).
import { jobWorkerOf } from '../composition/job-worker.js';
import { jobConsumerHandler } from '../middleware/job-consumer.js';

export const handler = jobConsumerHandler((job, platform) => jobWorkerOf(platform).process(job));
