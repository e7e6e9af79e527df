// Where a message goes once nothing could process it. Every message that lands here is a job (or a change) that
// someone has to look at, so it is kept as long as SQS allows and alarmed the minute it becomes visible.
import { Duration, Validations } from 'aws-cdk-lib';
import { ComparisonOperator, TreatMissingData, type Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { AlarmIdentity } from '../alarm-names.js';
import { acknowledgeControl, CONTROLS } from '../policy-validation.js';
import { SecureQueue } from './secure-queue.js';

export interface DeadLetterQueueProps {
  /** Name and description (what a message here means, and the runbook) of the alarm on its visible messages. */
  readonly alarm: AlarmIdentity;
  /**
   * How long a dead letter is kept for someone to inspect or redrive it.
   * @default Duration.days(14) - the SQS maximum
   */
  readonly retentionPeriod?: Duration;
}

export class DeadLetterQueue extends SecureQueue {
  /** In alarm while any message is visible. No actions yet: the stack that owns paging adds them. */
  readonly messagesVisibleAlarm: Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id, { retentionPeriod: props.retentionPeriod ?? Duration.days(14) });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue (for a job queue, or for stream batches the relay gave up on): ' +
        'it is the end of the line, its messages are kept for the longest retention SQS offers, and an alarm fires ' +
        'as soon as one is visible.',
    });
    acknowledgeControl(
      this,
      CONTROLS.sqsDeadLetterQueue,
      'This queue is itself a dead-letter queue, the end of the line: a dead-letter queue of its own would only move ' +
        'the problem. Its messages are kept 14 days (the SQS maximum) and an alarm fires as soon as one is visible.',
    );

    // Visible messages, not NumberOfMessagesSent: SQS does not count a redrive from the source queue as a send.
    this.messagesVisibleAlarm = this.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: 'Maximum',
    }).createAlarm(this, 'MessagesVisibleAlarm', {
      ...props.alarm,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // SQS stops publishing metrics for a queue that has been empty for a while: no data means no dead letters.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
