// The job queues: the messaging stack builds SQS queues and event sources from these definitions and the
// embedded platform creates the same queues on its SQS emulator, so both sides agree on names, redrive and
// timeouts. Fairness is not a queue property: it comes from the MessageGroupId (tenant group) on every send.
import type { QueueName } from './core/fairness/queue-names.js';
import { MAX_BACKGROUND_DEADLINE_MS } from './core/llm/llm-settings.js';


export interface JobQueueDefinition {
  readonly name: QueueName;
  /** Dead-letter queue that receives a message after `maxReceiveCount` failed receives. */
  readonly deadLetterQueue: `${QueueName}-dlq`;
  readonly maxReceiveCount: number;
  /** Messages per consumer invocation. */
  readonly batchSize: number;
  /** Concurrent consumer invocations for this queue (Lambda's event source `maxConcurrency`, 2-1000). */
  readonly maxConcurrency: number;
}

/**
 * The job worker's timeout, above its longest step: a conversation summary may use the whole background LLM deadline
 * (at most MAX_BACKGROUND_DEADLINE_MS), while metering and indexing run beside it in the same batch.
 */
export const JOB_WORKER_TIMEOUT_SECONDS = MAX_BACKGROUND_DEADLINE_MS / 1000 + 30;
/** Consumer function timeout; every queue's visibility timeout is at least 6× this (AWS guidance). */
export const CONSUMER_TIMEOUT_SECONDS = JOB_WORKER_TIMEOUT_SECONDS;
export const VISIBILITY_TIMEOUT_SECONDS = 6 * CONSUMER_TIMEOUT_SECONDS;
export const DLQ_RETENTION_DAYS = 14;

export const JOB_QUEUES: readonly JobQueueDefinition[] = [
  { name: 'jobs', deadLetterQueue: 'jobs-dlq', maxReceiveCount: 5, batchSize: 10, maxConcurrency: 20 },
  // Over-quota groups wait here, drained by far fewer consumers so they cannot crowd out everyone else.
  { name: 'jobs-overflow', deadLetterQueue: 'jobs-overflow-dlq', maxReceiveCount: 5, batchSize: 10, maxConcurrency: 2 },
];

/** Physical queue names used by the embedded platform (on AWS, CloudFormation names the queues). */
export const localQueueName = (name: string): string => `headroom-${name}`;
