// Operator view of the job queues: depth and in-flight counts from SQS, the age of the oldest message from
// wherever it is known (CloudWatch on AWS, the emulator locally), and DLQ redrive with SQS message move tasks.
import { GetQueueAttributesCommand, StartMessageMoveTaskCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueInspector, QueueStatus } from '../../core/ports.js';
import { Problem } from '../../core/problems.js';

export type OldestAge = (queue: string, url: string) => Promise<number | null>;

export class SqsQueueInspector implements QueueInspector {
  constructor(
    private readonly sqs: SQSClient,
    private readonly urls: Readonly<Record<string, string>>,
    private readonly oldestAge: OldestAge,
  ) {}

  async status(): Promise<QueueStatus[]> {
    return Promise.all(
      Object.entries(this.urls).map(async ([queue, url]) => {
        const { Attributes = {} } = await this.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        return {
          queue,
          visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
          inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
          oldestAgeSeconds: await this.oldestAge(queue, url),
        };
      }),
    );
  }

  async redrive(deadLetterQueue: string): Promise<{ taskHandle: string | null; movedMessages: number | null }> {
    const url = this.urls[deadLetterQueue];
    if (!url || !deadLetterQueue.endsWith('-dlq')) {
      const dlqs = Object.keys(this.urls).filter((name) => name.endsWith('-dlq'));
      throw new Problem('validation-failed', `${deadLetterQueue} is not a dead-letter queue. Redrive one of: ${dlqs.join(', ')}.`, {
        errors: [{ path: 'path.queue', message: 'not a dead-letter queue' }],
      });
    }
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'] }),
    );
    // With no DestinationArn, SQS moves each message back to the queue it was dead-lettered from.
    const task = await this.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: Attributes.QueueArn }));
    return { taskHandle: task.TaskHandle ?? null, movedMessages: Number(Attributes.ApproximateNumberOfMessages ?? 0) };
  }
}

/** The oldest-message age CloudWatch publishes per queue each minute (SQS itself does not expose it). */
export function cloudWatchOldestAge(): OldestAge {
  return async (_queue, url) => {
    const { CloudWatchClient, GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
    const queueName = url.split('/').at(-1);
    const end = new Date();
    const result = await new CloudWatchClient({}).send(
      new GetMetricDataCommand({
        StartTime: new Date(end.getTime() - 10 * 60_000),
        EndTime: end,
        MetricDataQueries: [
          {
            Id: 'age',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/SQS',
                MetricName: 'ApproximateAgeOfOldestMessage',
                Dimensions: [{ Name: 'QueueName', Value: queueName }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    );
    return result.MetricDataResults?.[0]?.Values?.[0] ?? null;
  };
}
