// How long each job waited between its change committing and a consumer applying it, per tenant group: the number
// fair queues exist to keep low for quiet groups while a noisy one bursts. Measured where the local event source
// hands a batch to a consumer, from the job's own `committedAt`, so relay and queue time both count.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { SqsBatchHandler } from './sqs-event-source.js';
import type { MetricsRegistry } from './metrics-registry.js';

/** Milliseconds from commit to applied, dimensions `queue` and `group`. */
export const JOB_DWELL_METRIC = 'JobDwellMs';

/** Wraps a consumer so every job it acknowledges records its dwell; failed jobs are counted when they succeed. */
export function measureJobDwell(queue: string, handler: SqsBatchHandler, registry: MetricsRegistry): SqsBatchHandler {
  return async (event: SQSEvent, context) => {
    const response = (await handler(event, context)) as SQSBatchResponse | void;
    const failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    const now = Date.now();
    for (const record of event.Records) {
      if (failed.has(record.messageId)) continue;
      let committedAt = Number(record.attributes.SentTimestamp);
      let group = record.attributes.MessageGroupId ?? 'none';
      try {
        const job = JSON.parse(record.body) as { committedAt?: string; group?: string };
        if (job.committedAt) committedAt = Date.parse(job.committedAt);
        if (job.group) group = job.group;
      } catch {
        // A poison body keeps the SQS timestamps; the consumer has already reported it failed.
      }
      if (Number.isFinite(committedAt)) registry.record(JOB_DWELL_METRIC, Math.max(0, now - committedAt), { queue, group });
    }
    return response;
  };
}
