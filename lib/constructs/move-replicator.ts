// The tenant-move replicator: one function fed by every shard table's stream, the second reader of each (the change
// relay is the first; DynamoDB Streams serve at most two per shard). Always on, unfiltered: the function itself
// knows which tenants are moving (a per-move event filter would mean changing mappings at every move, and a
// filtered mapping never sees the barrier beacons that prove a cutover's catch-up complete). A batch is retried
// until it succeeds, never skipped: a skipped change would be a lost write on the new shard, so a stuck replicator
// stops moves (their barriers never come round and no fence is held) and pages on its iterator age instead.
import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { alarmIdentity, type AlarmNaming } from '../alarm-names.js';
import { HandlerFunction, type HandlerFunctionProps } from './handler-function.js';
import type { ShardedTable } from './sharded-table.js';

/** A full GetRecords page: catching up after a pause takes few invocations. */
const BATCH_SIZE = 1000;

export interface MoveReplicatorProps extends Omit<HandlerFunctionProps, 'handler'> {
  /** The shard tables whose streams feed the replicator, one event source each. */
  readonly shards: ShardedTable;
  /** Names its alarm `headroom-<stage>-move-replicator-behind`. */
  readonly alarmNaming: AlarmNaming;
  /**
   * Alarm when the replicator is this far behind its streams (moves stall; nothing is lost).
   * @default Duration.minutes(5)
   */
  readonly iteratorAgeAlarm?: Duration;
}

export class MoveReplicator extends HandlerFunction {
  /** The replicator is behind or stuck on a batch: moves cannot cut over until it catches up. */
  readonly behindAlarm: Alarm;

  constructor(scope: Construct, id: string, props: MoveReplicatorProps) {
    const { shards, alarmNaming, iteratorAgeAlarm = Duration.minutes(5), ...functionProps } = props;
    super(scope, id, { ...functionProps, handler: 'move-replicator' });

    for (const { table } of shards.shards) {
      this.lambda.addEventSource(
        new DynamoEventSource(table, {
          // A mapping created (or re-created) while a move runs must not skip what is already in the stream;
          // re-applying older changes is harmless (version-guarded).
          startingPosition: StartingPosition.TRIM_HORIZON,
          batchSize: BATCH_SIZE,
          // A cutover's fence waits for this function to come round: no batching window.
          maxBatchingWindow: Duration.seconds(0),
          reportBatchItemFailures: true,
          // Changes to one item must be applied in order.
          parallelizationFactor: 1,
        }),
      );
    }

    this.behindAlarm = new Alarm(this, 'Behind', {
      ...alarmIdentity(
        alarmNaming,
        'move-replicator-behind',
        `The move replicator is over ${iteratorAgeAlarm.toMinutes()} min behind its shard streams, or retrying one batch: ` +
          'tenant moves cannot catch up or cut over until it resumes (it skips nothing).',
        'tenant-move',
      ),
      metric: this.lambda.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: iteratorAgeAlarm.toMilliseconds(),
      evaluationPeriods: 3,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Besides the two X-Ray actions every function holds, the stream event sources need dynamodb:ListStreams, an ' +
        'account-level list action that names no stream, so CDK grants it on "*"; it returns stream ARNs, never ' +
        "data. Reading records (DescribeStream, GetShardIterator, GetRecords) is granted on each shard's stream ARN only.",
    });
  }
}
