// The job queues: the messaging stack builds SQS queues and event sources from these definitions and the
// embedded platform creates the same queues on its SQS emulator, so both sides agree on names, redrive and
// timeouts. Fairness is not a queue property: it comes from the MessageGroupId (tenant group) on every send.

export type QueueName = 'jobs' | 'jobs-overflow';

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

/** Consumer function timeout; every queue's visibility timeout is at least 6× this (AWS guidance). */
export const CONSUMER_TIMEOUT_SECONDS = 30;
export const VISIBILITY_TIMEOUT_SECONDS = 6 * CONSUMER_TIMEOUT_SECONDS;
export const DLQ_RETENTION_DAYS = 14;

export const JOB_QUEUES: readonly JobQueueDefinition[] = [
  { name: 'jobs', deadLetterQueue: 'jobs-dlq', maxReceiveCount: 5, batchSize: 10, maxConcurrency: 20 },
  // Over-quota groups wait here, drained by far fewer consumers so they cannot crowd out everyone else.
  { name: 'jobs-overflow', deadLetterQueue: 'jobs-overflow-dlq', maxReceiveCount: 5, batchSize: 10, maxConcurrency: 2 },
];

/** Physical queue names used by the embedded platform (on AWS, CloudFormation names the queues). */
export const localQueueName = (name: string): string => `headroom-${name}`;

/** Functions fed by event sources rather than routes: the change relay (one event source per shard stream) and the job consumers. */
export const RELAY_FUNCTION = 'relay';
/** The tenant-move replicator: the second reader of every shard stream (DynamoDB Streams allow two per shard). */
export const MOVE_REPLICATOR_FUNCTION = 'move-replicator';
export const JOB_CONSUMERS = ['job-worker'] as const;
export type JobConsumerName = (typeof JOB_CONSUMERS)[number];
