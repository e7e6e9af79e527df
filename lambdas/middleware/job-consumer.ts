// The job-consumer kit: every SQS consumer is a Powertools BatchProcessor over the same parse → apply loop, so
// each job succeeds or fails on its own (partial batch responses), a poison job fails only itself and reaches
// the DLQ after the queue's max receives, and `apply` only has to be idempotent for one job.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseJob, PoisonJobError, type Job } from '../core/jobs/jobs.js';
import { logger, metrics } from '../observability.js';
import { platform, type Platform } from '../composition/platform.js';

export type ApplyJob = (job: Job, platform: Platform) => Promise<string>;

export function jobConsumerHandler(apply: ApplyJob) {
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = async (record: SQSRecord) => {
    try {
      const job = parseJob(record.body);
      const outcome = await apply(job, platform());
      // One structured line per applied job: Contributor Insights ranks tenants and groups by jobs from it.
      logger.info('job applied', { tenantId: job.tenantId, group: job.group, kind: job.kind, outcome });
      return outcome;
    } catch (error) {
      const receives = Number(record.attributes.ApproximateReceiveCount);
      const fields = { messageId: record.messageId, receives, group: record.attributes.MessageGroupId };
      if (error instanceof PoisonJobError)
        logger.warn('poison job; it goes to the DLQ after the last receive', { ...fields, reason: error.message });
      else logger.warn('job failed; it will be retried', { ...fields, error: error as Error });
      throw error;
    }
  };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (event, context) => processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false }));
}
