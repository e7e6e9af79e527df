// A function that drains job queues through SQS event sources. Each queue gets the batch size and
// maxConcurrency its definition names (the overflow queue far fewer pollers than the main one), the function
// reports partial batch failures so one bad job never sends its neighbours back, and (with reservations on) its
// manifest row reserves exactly the concurrency its event sources may use together.
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { functionDefinition, type FunctionName } from '../../lambdas/functions.js';
import { HandlerFunction, type HandlerFunctionProps } from './handler-function.js';
import type { JobQueue } from './job-queue.js';

/** The range Lambda accepts for an SQS event source's maximum concurrency. */
const MAX_CONCURRENCY_RANGE = { min: 2, max: 1000 } as const;

export interface JobConsumerProps extends HandlerFunctionProps {
  /** A manifest row triggered by `queues`. */
  readonly handler: FunctionName;
  /** The queues it drains, each polled with the batch size and maxConcurrency of its definition. */
  readonly queues: readonly JobQueue[];
}

export class JobConsumer extends HandlerFunction {
  constructor(scope: Construct, id: string, props: JobConsumerProps) {
    const { queues } = props;
    const row = functionDefinition(props.handler);
    const timeoutSeconds = row.timeoutSeconds ?? props.runtime.timeoutSeconds;
    if (queues.length === 0) throw new Error(`job consumer ${props.handler} needs at least one queue, got none`);
    for (const { definition, consumerTimeout } of queues) {
      const { name, maxConcurrency } = definition;
      if (!Number.isInteger(maxConcurrency) || maxConcurrency < MAX_CONCURRENCY_RANGE.min || maxConcurrency > MAX_CONCURRENCY_RANGE.max) {
        throw new Error(
          `job queue ${name}: maxConcurrency must be an integer from ${MAX_CONCURRENCY_RANGE.min} to ${MAX_CONCURRENCY_RANGE.max}, got ${maxConcurrency}`,
        );
      }
      if (timeoutSeconds > consumerTimeout.toSeconds()) {
        throw new Error(
          `job consumer ${props.handler}: a ${timeoutSeconds} s timeout outlives the ${consumerTimeout.toSeconds()} s ` +
            `that the visibility timeout of ${name} was sized for`,
        );
      }
    }
    const eventSourceConcurrency = queues.reduce((sum, queue) => sum + queue.definition.maxConcurrency, 0);
    if (row.reservedConcurrency !== undefined && row.reservedConcurrency !== eventSourceConcurrency) {
      throw new Error(
        `job consumer ${props.handler}: reserves ${row.reservedConcurrency} but its event sources may run ${eventSourceConcurrency} at once`,
      );
    }
    super(scope, id, props);

    for (const { queue, definition } of queues) {
      this.lambda.addEventSource(
        new SqsEventSource(queue, {
          batchSize: definition.batchSize,
          maxConcurrency: definition.maxConcurrency,
          reportBatchItemFailures: true,
        }),
      );
    }
  }
}
