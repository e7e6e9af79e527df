// Sends jobs to the fair queues with SendMessageBatch. Every entry carries MessageGroupId = the job's tenant
// group (that is what makes a standard queue fair). Entries SQS refuses are retried with backoff, and whatever
// still fails is returned to the caller, never dropped.
import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Job } from '../../core/jobs/jobs.js';
import type { JobQueue } from '../../core/ports.js';
import type { QueueName } from '../../core/fairness/queue-names.js';

const BATCH = 10;

export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly urls: Readonly<Record<string, string>>,
    private readonly attempts = 4,
  ) {}

  async send(queue: QueueName, jobs: readonly Job[]): Promise<{ failed: Job[] }> {
    const url = this.urls[queue];
    if (!url) throw new Error(`no URL configured for queue ${queue}`);
    const failed: Job[] = [];
    for (let start = 0; start < jobs.length; start += BATCH) failed.push(...(await this.sendBatch(url, jobs.slice(start, start + BATCH))));
    return { failed };
  }

  private async sendBatch(url: string, batch: Job[]): Promise<Job[]> {
    let pending = batch;
    for (let attempt = 1; pending.length > 0 && attempt <= this.attempts; attempt++) {
      if (attempt > 1) await sleep(50 * 2 ** attempt * Math.random());
      try {
        const result = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: pending.map((job, index) => ({
              Id: String(index),
              MessageBody: JSON.stringify(job),
              MessageGroupId: job.group,
              MessageAttributes: { kind: { DataType: 'String', StringValue: job.kind } },
            })),
          }),
        );
        const failedIds = new Set((result.Failed ?? []).map((entry) => entry.Id));
        pending = pending.filter((_, index) => failedIds.has(String(index)));
      } catch (error) {
        if (attempt === this.attempts) throw error;
      }
    }
    return pending;
  }
}
