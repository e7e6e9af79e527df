// The async path (DESIGN.md §4): shard streams → change relay → main or overflow fair queue → job consumers,
// each queue with its dead-letter queue, and the alarms an on-call engineer watches. Alarms have no actions
// yet: the stack that owns paging adds them.
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  CONSUMER_TIMEOUT_SECONDS,
  DLQ_RETENTION_DAYS,
  JOB_QUEUES,
  VISIBILITY_TIMEOUT_SECONDS,
  type QueueName,
} from '../../lambdas/queues.js';
import type { HeadroomConfig } from '../config.js';
import { ChangeRelay } from '../constructs/change-relay.js';
import { JobConsumer } from '../constructs/job-consumer.js';
import { JobQueue } from '../constructs/job-queue.js';
import { MigrationRunner } from '../constructs/migration-runner.js';
import { MoveReplicator } from '../constructs/move-replicator.js';
import type { SearchDomain } from '../constructs/search-domain.js';
import type { ShardedTable } from '../constructs/sharded-table.js';
import {
  admissionEnvironment,
  jobQueuesEnvironment,
  llmEnvironment,
  platformEnvironment,
  searchEnvironment,
} from '../function-environment.js';
import { grantModelAccess } from '../model-access.js';

/** A batch of 100 changes: a directory lookup per tenant (mostly cached) and batched sends, with room for retries. */
const RELAY_TIMEOUT = Duration.seconds(30);

export interface MessagingStackProps extends StackProps {
  readonly config: HeadroomConfig;
  readonly shards: ShardedTable;
  readonly controlTable: Table;
  /** The search domain the job worker indexes into and the migration runner backfills. */
  readonly search: SearchDomain;
}

export interface MessagingAlarms {
  /** Quiet groups on the main queue wait too long: consumers are behind for everyone. */
  readonly quietGroupAge: Alarm;
  /** A group has stayed noisy on the main queue: admission lets it in faster than it can fairly be drained. */
  readonly noisyGroups: Alarm;
  /** Over-quota jobs wait too long on the overflow queue. */
  readonly overflowAge: Alarm;
  /** A message is visible on a dead-letter queue (both job DLQs and the relay's failed batches). */
  readonly deadLetters: readonly Alarm[];
  /** The move replicator is behind its streams: tenant moves cannot catch up or cut over. */
  readonly moveReplicatorBehind: Alarm;
}

export class MessagingStack extends Stack {
  readonly jobQueues: Readonly<Record<QueueName, JobQueue>>;
  readonly relay: ChangeRelay;
  /** Every job through every processor: usage metering, search indexing, conversation summaries. */
  readonly jobWorker: JobConsumer;
  /** Search index migrations and tenant moves: a Step Functions loop around the migration step function. */
  readonly migrationRunner: MigrationRunner;
  readonly moveReplicator: MoveReplicator;
  readonly alarms: MessagingAlarms;

  constructor(scope: Construct, id: string, props: MessagingStackProps) {
    super(scope, id, props);
    const { config, shards, controlTable } = props;
    const environment = platformEnvironment(this, { config, shards, controlTable });
    const functionProps = { memorySize: config.runtime.memoryMb, logRetention: config.logRetentionDays as RetentionDays };
    const consumerTimeout = Duration.seconds(CONSUMER_TIMEOUT_SECONDS);

    // Each queue's construct id is its name, so adding a queue never renames (and so replaces) another.
    this.jobQueues = Object.fromEntries(
      JOB_QUEUES.map((definition) => [
        definition.name,
        new JobQueue(this, definition.name, {
          definition,
          consumerTimeout,
          visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_SECONDS),
          deadLetterRetention: Duration.days(DLQ_RETENTION_DAYS),
        }),
      ]),
    ) as Record<QueueName, JobQueue>;
    const { jobs, 'jobs-overflow': overflow } = this.jobQueues;

    this.relay = new ChangeRelay(this, 'relay', {
      shards,
      environment: {
        ...environment,
        ...jobQueuesEnvironment(this, [jobs, overflow], { deadLetters: false }),
        ...admissionEnvironment(config),
      },
      timeout: RELAY_TIMEOUT,
      ...functionProps,
    });
    jobs.grantSendMessages(this.relay);
    overflow.grantSendMessages(this.relay);
    // The relay looks up each tenant's group and tier in the tenant directory.
    controlTable.grants.readData(this.relay);

    const searchEnv = searchEnvironment(props.search, config);
    this.jobWorker = new JobConsumer(this, 'job-worker', {
      handler: 'job-worker',
      queues: [jobs, overflow],
      environment: { ...environment, ...searchEnv, ...llmEnvironment(config) },
      timeout: consumerTimeout,
      ...functionProps,
    });
    // Usage counters live in the control table (which also holds the search generation registry).
    controlTable.grants.readWriteData(this.jobWorker);
    // The indexer reads each changed item from its shard (the source of truth) and writes every live generation;
    // summaries are written next to their conversation, with the background lane's models.
    shards.grantReadWriteData(this.jobWorker);
    props.search.grantIndexing(this.jobWorker.role);
    grantModelAccess(this, this.jobWorker, config.llm);

    this.migrationRunner = new MigrationRunner(this, 'migration-runner', {
      environment: { ...environment, ...searchEnv },
      memorySize: config.runtime.memoryMb,
      logRetention: config.logRetentionDays as RetentionDays,
    });
    // Backfills and verification read the shards; tenant moves copy between them. Progress lives in the control table.
    shards.grantReadWriteData(this.migrationRunner.step);
    controlTable.grants.readWriteData(this.migrationRunner.step);
    props.search.grantIndexing(this.migrationRunner.step.role);
    props.search.grantHealthCheck(this.migrationRunner.step.role);

    // Tenant moves: applies a moving tenant's changes to its other shard, and records the barrier beacons it read.
    this.moveReplicator = new MoveReplicator(this, 'move-replicator', {
      shards,
      environment,
      timeout: Duration.minutes(1),
      memorySize: config.runtime.memoryMb,
      logRetention: config.logRetentionDays as RetentionDays,
    });
    shards.grantReadWriteData(this.moveReplicator);
    controlTable.grants.readWriteData(this.moveReplicator);

    this.alarms = {
      quietGroupAge: jobs.alarmOnQuietGroupAge(Duration.seconds(config.messaging.quietGroupAgeAlarmSeconds)),
      noisyGroups: jobs.alarmOnNoisyGroups(),
      overflowAge: overflow.alarmOnOldestMessageAge(Duration.seconds(config.messaging.overflowAgeAlarmSeconds)),
      deadLetters: [
        jobs.deadLetterQueue.messagesVisibleAlarm,
        overflow.deadLetterQueue.messagesVisibleAlarm,
        this.relay.failedBatches.messagesVisibleAlarm,
      ],
      moveReplicatorBehind: this.moveReplicator.behindAlarm,
    };
  }
}
