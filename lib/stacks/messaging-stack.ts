// The async path (DESIGN.md §4): shard streams → change relay → main or overflow fair queue → job consumers,
// each queue with its dead-letter queue, and the alarms an on-call engineer watches. Alarms have no actions
// yet: the stack that owns paging adds them.
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { functionEnvironment } from '../../lambdas/function-environment.js';
import { functionDefinition, type FunctionName } from '../../lambdas/functions.js';
import type { QueueName } from '../../lambdas/core/fairness/queue-names.js';
import { REPAIR_VIEWS } from '../../lambdas/core/repair/repair-settings.js';
import { CONSUMER_TIMEOUT_SECONDS, DLQ_RETENTION_DAYS, JOB_QUEUES, VISIBILITY_TIMEOUT_SECONDS } from '../../lambdas/queues.js';
import { functionRuntimeDefaults, type HeadroomConfig } from '../config.js';
import { ChangeRelay } from '../constructs/change-relay.js';
import { DerivedDataRepair } from '../constructs/derived-data-repair.js';
import { JobConsumer } from '../constructs/job-consumer.js';
import { JobQueue } from '../constructs/job-queue.js';
import { MigrationRunner } from '../constructs/migration-runner.js';
import { MoveReplicator } from '../constructs/move-replicator.js';
import type { SearchDomain } from '../constructs/search-domain.js';
import type { ShardedTable } from '../constructs/sharded-table.js';
import { awsEnvironmentInputs, jobQueueUrls, searchEngineSettings } from '../function-environment.js';
import { grantNeeds } from '../function-grants.js';
import { removalPolicyOf } from '../removal-policy.js';

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
  /** A tenant's derived data stayed divergent across two repair passes. */
  readonly derivedDataDivergent: Alarm;
}

export class MessagingStack extends Stack {
  readonly jobQueues: Readonly<Record<QueueName, JobQueue>>;
  readonly relay: ChangeRelay;
  /** Every job through every processor: usage metering, search indexing, conversation summaries. */
  readonly jobWorker: JobConsumer;
  /** Search index migrations and tenant moves: a Step Functions loop around the migration step function. */
  readonly migrationRunner: MigrationRunner;
  readonly moveReplicator: MoveReplicator;
  /** Continuous repair of search documents and usage counters from the shards, paced. */
  readonly repair: DerivedDataRepair;
  readonly alarms: MessagingAlarms;

  constructor(scope: Construct, id: string, props: MessagingStackProps) {
    super(scope, id, props);
    const { config, shards, controlTable } = props;
    const alarmNaming = config.operations.alarms;
    const consumerTimeout = Duration.seconds(CONSUMER_TIMEOUT_SECONDS);

    // Each queue's construct id is its name, so adding a queue never renames (and so replaces) another.
    this.jobQueues = Object.fromEntries(
      JOB_QUEUES.map((definition) => [
        definition.name,
        new JobQueue(this, definition.name, {
          definition,
          consumerTimeout,
          alarmNaming,
          visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_SECONDS),
          deadLetterRetention: Duration.days(DLQ_RETENTION_DAYS),
        }),
      ]),
    ) as Record<QueueName, JobQueue>;
    const { jobs, 'jobs-overflow': overflow } = this.jobQueues;

    const inputs = awsEnvironmentInputs(
      this,
      { config, shards, controlTable },
      { jobQueues: jobQueueUrls(this.jobQueues), search: searchEngineSettings(props.search, config) },
    );
    const grantable = { shards, controlTable, jobQueues: { jobs, 'jobs-overflow': overflow }, search: props.search, llm: config.llm };
    const functionProps = (name: FunctionName) => ({
      handler: name,
      environment: functionEnvironment(functionDefinition(name), inputs),
      runtime: functionRuntimeDefaults(config),
      logRetention: config.logRetentionDays as RetentionDays,
      logRemovalPolicy: removalPolicyOf(config),
    });

    this.relay = new ChangeRelay(this, 'relay', { shards, alarmNaming, ...functionProps('relay') });
    grantNeeds(this.relay, grantable);

    this.jobWorker = new JobConsumer(this, 'job-worker', { queues: [jobs, overflow], ...functionProps('job-worker') });
    grantNeeds(this.jobWorker, grantable);

    this.migrationRunner = new MigrationRunner(this, 'migration-runner', {
      ...functionProps('migration-step'),
      removalPolicy: removalPolicyOf(config),
    });
    grantNeeds(this.migrationRunner.step, grantable);

    // Tenant moves: applies a moving tenant's changes to its other shard, and records the barrier beacons it read.
    this.moveReplicator = new MoveReplicator(this, 'move-replicator', {
      shards,
      alarmNaming,
      ...functionProps('move-replicator'),
    });
    grantNeeds(this.moveReplicator, grantable);

    this.repair = new DerivedDataRepair(this, 'repair', { alarmNaming, views: REPAIR_VIEWS, ...functionProps('repair') });
    grantNeeds(this.repair.function, grantable);

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
      derivedDataDivergent: this.repair.divergentAlarm,
    };
  }
}
