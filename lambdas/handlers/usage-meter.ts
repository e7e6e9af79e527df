// SQS consumer (main and overflow job queues): counts each job once for usage and per-group load.
import { meterJob } from '../core/usage-meter.js';
import { jobConsumerHandler } from '../middleware/job-consumer.js';

export const handler = jobConsumerHandler((job, platform) => meterJob(job, platform.usage));
