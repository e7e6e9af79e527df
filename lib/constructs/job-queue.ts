// A job queue and its dead-letter queue, built from one definition in lambdas/queues.ts so the cloud queues and
// the embedded platform's queues agree on redrive and timeouts. It is a standard queue: fairness between tenant
// groups is a send-side feature (the MessageGroupId on every job), not a queue property. A job is never
// delivered again while a consumer may still be working on it: visibility ≥ 6 × the consumer timeout.
import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, TreatMissingData, type Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { JobQueueDefinition } from '../../lambdas/queues.js';
import { alarmIdentity, type AlarmIdentity, type AlarmNaming } from '../alarm-names.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { SecureQueue } from './secure-queue.js';

/** AWS guidance for Lambda event sources: a visibility timeout of at least six times the function timeout. */
const VISIBILITY_TO_TIMEOUT_RATIO = 6;

export interface JobQueueProps {
  /** Name, dead-letter queue name and receive limit, shared with the embedded platform. */
  readonly definition: JobQueueDefinition;
  /** The longest any consumer of this queue may run on one batch (its function timeout). */
  readonly consumerTimeout: Duration;
  /** Its alarms are named after the queue (`headroom-<stage>-jobs-quiet-group-age`) and link docs/runbooks/job-queues.md. */
  readonly alarmNaming: AlarmNaming;
  /**
   * How long a received job stays hidden from other consumers.
   * @default - six times `consumerTimeout`, the least AWS recommends for a Lambda event source
   */
  readonly visibilityTimeout?: Duration;
  /**
   * How long the dead-letter queue keeps a job for inspection and redrive.
   * @default Duration.days(14) - the SQS maximum
   */
  readonly deadLetterRetention?: Duration;
}

export class JobQueue extends Construct {
  readonly definition: JobQueueDefinition;
  readonly consumerTimeout: Duration;
  readonly queue: SecureQueue;
  readonly deadLetterQueue: DeadLetterQueue;
  private readonly alarmNaming: AlarmNaming;

  constructor(scope: Construct, id: string, props: JobQueueProps) {
    super(scope, id);
    const { definition, consumerTimeout } = props;
    const visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(VISIBILITY_TO_TIMEOUT_RATIO * consumerTimeout.toSeconds());
    if (visibilityTimeout.toSeconds() < VISIBILITY_TO_TIMEOUT_RATIO * consumerTimeout.toSeconds()) {
      throw new Error(
        `job queue ${definition.name}: the visibility timeout must be at least ${VISIBILITY_TO_TIMEOUT_RATIO} × the consumer ` +
          `timeout (${VISIBILITY_TO_TIMEOUT_RATIO * consumerTimeout.toSeconds()} s), got ${visibilityTimeout.toSeconds()} s`,
      );
    }
    this.definition = definition;
    this.consumerTimeout = consumerTimeout;
    this.alarmNaming = props.alarmNaming;

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      retentionPeriod: props.deadLetterRetention,
      alarm: this.identity(
        `${definition.deadLetterQueue}-not-empty`,
        `Jobs from ${definition.name} failed ${definition.maxReceiveCount} receives and wait in ${definition.deadLetterQueue} ` +
          `until their cause is fixed and they are redriven (headroom queues redrive --from ${definition.deadLetterQueue}).`,
      ),
    });
    this.queue = new SecureQueue(this, 'Queue', {
      visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
    });
  }

  /** Put jobs on the queue (never on its dead-letter queue). */
  grantSendMessages(grantee: IGrantable): Grant {
    return this.queue.grantSendMessages(grantee);
  }

  /** Receive, delete and extend jobs on the queue (never on its dead-letter queue). */
  grantConsumeMessages(grantee: IGrantable): Grant {
    return this.queue.grantConsumeMessages(grantee);
  }

  /** Read depth, age and settings of the queue and its dead-letter queue, without touching a message. */
  grantReadAttributes(grantee: IGrantable): Grant {
    return this.queue.grant(grantee, 'sqs:GetQueueAttributes').combine(this.deadLetterQueue.grant(grantee, 'sqs:GetQueueAttributes'));
  }

  /**
   * Move dead letters back to this queue with StartMessageMoveTask (and follow the task): the move task reads
   * and deletes on the dead-letter queue and sends to this queue, all with the caller's permissions.
   */
  grantRedrive(grantee: IGrantable): Grant {
    return this.deadLetterQueue
      .grant(grantee, 'sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks')
      .combine(this.deadLetterQueue.grantConsumeMessages(grantee))
      .combine(this.queue.grantSendMessages(grantee));
  }

  /**
   * Quiet groups waited longer than `threshold`: a fair queue should keep their latency low however noisy
   * one group is, so this means the consumers, not one tenant, are falling behind.
   */
  alarmOnQuietGroupAge(threshold: Duration): Alarm {
    return this.queue
      .metric('ApproximateAgeOfOldestMessageInQuietGroups', { period: Duration.minutes(1), statistic: 'Maximum' })
      .createAlarm(this, 'QuietGroupAgeAlarm', {
        ...this.identity(
          `${this.definition.name}-quiet-group-age`,
          `Jobs of quiet tenant groups on ${this.definition.name} have waited over ${threshold.toSeconds()} s for 3 minutes: ` +
            'the consumers are behind for everyone, not just for one noisy tenant.',
        ),
        threshold: threshold.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        // The metric exists only while the queue holds messages.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
  }

  /**
   * Some group has been noisy for 15 minutes in a row. A short burst is what the fair queue absorbs; a group
   * that stays noisy means its admission rate lets in more than the consumers can fairly drain.
   */
  alarmOnNoisyGroups(): Alarm {
    return this.queue
      .metric('ApproximateNumberOfNoisyGroups', { period: Duration.minutes(1), statistic: 'Maximum' })
      .createAlarm(this, 'NoisyGroupsAlarm', {
        ...this.identity(
          `${this.definition.name}-noisy-groups`,
          `A tenant group has stayed noisy on ${this.definition.name} for 15 minutes: its admission rate lets in more jobs ` +
            'than the consumers can fairly drain.',
        ),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 15,
        datapointsToAlarm: 15,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
  }

  /** The oldest job of any group has waited longer than `threshold` for 3 minutes. */
  alarmOnOldestMessageAge(threshold: Duration): Alarm {
    return this.queue
      .metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' })
      .createAlarm(this, 'OldestMessageAgeAlarm', {
        ...this.identity(
          `${this.definition.name}-oldest-job-age`,
          `The oldest job on ${this.definition.name} has waited over ${threshold.toSeconds()} s for 3 minutes: its consumers ` +
            'are not keeping up.',
        ),
        threshold: threshold.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
  }

  private identity(what: string, meaning: string): AlarmIdentity {
    return alarmIdentity(this.alarmNaming, what, meaning, 'job-queues');
  }
}
