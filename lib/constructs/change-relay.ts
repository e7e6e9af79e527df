// The change relay: one function fed by every shard table's stream, one event source per shard, turning each
// committed change into a job (the function decides main queue or overflow). A batch that keeps failing is
// split until the bad record is isolated; one the relay gives up on is recorded, never silently skipped.
import { Duration, Validations } from 'aws-cdk-lib';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { alarmIdentity, type AlarmNaming } from '../alarm-names.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { HandlerFunction, type HandlerFunctionProps } from './handler-function.js';
import type { ShardedTable } from './sharded-table.js';

/** Streams keep records for 24 h; giving up after 6 h leaves 18 h to re-read a failed batch from the stream. */
const MAX_RECORD_AGE = Duration.hours(6);
const RETRY_ATTEMPTS = 10;
const BATCH_SIZE = 100;

export interface ChangeRelayProps extends Omit<HandlerFunctionProps, 'handler'> {
  /** The shard tables whose streams feed the relay, one event source each. */
  readonly shards: ShardedTable;
  /** Names the alarm on its failed batches `headroom-<stage>-relay-failed-batches-not-empty`. */
  readonly alarmNaming: AlarmNaming;
}

export class ChangeRelay extends HandlerFunction {
  /** Where Lambda records each stream batch the relay gave up on (stream ARN, shard and sequence range). */
  readonly failedBatches: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: ChangeRelayProps) {
    const { shards, alarmNaming, ...functionProps } = props;
    super(scope, id, { ...functionProps, handler: 'relay' });

    this.failedBatches = new DeadLetterQueue(this, 'FailedBatches', {
      alarm: alarmIdentity(
        alarmNaming,
        'relay-failed-batches-not-empty',
        `The change relay gave up on a stream batch (after ${RETRY_ATTEMPTS} retries or ${MAX_RECORD_AGE.toHours()} h): its ` +
          'changes never became jobs, and the stream drops them 24 h after they were written unless they are re-read.',
        'job-queues',
      ),
    });

    for (const { table } of shards.shards) {
      this.lambda.addEventSource(
        new DynamoEventSource(table, {
          // From the oldest record the stream still holds, so no change committed before the mapping existed is missed.
          startingPosition: StartingPosition.TRIM_HORIZON,
          batchSize: BATCH_SIZE,
          bisectBatchOnError: true,
          reportBatchItemFailures: true,
          maxRecordAge: MAX_RECORD_AGE,
          retryAttempts: RETRY_ATTEMPTS,
          // One batch in flight per stream shard: the relay's concurrency stays equal to the streams' shard count.
          parallelizationFactor: 1,
          onFailure: new SqsDlq(this.failedBatches),
        }),
      );
    }

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Besides the two X-Ray actions every function holds, the stream event sources need dynamodb:ListStreams, an ' +
        'account-level list action that names no stream, so CDK grants it on "*"; it returns stream ARNs, never ' +
        "data. Reading records (DescribeStream, GetShardIterator, GetRecords) is granted on each shard's stream ARN only.",
    });
  }
}
