// A function that drains job queues through SQS event sources. Each queue gets the batch size and
// maxConcurrency its definition names (the overflow queue far fewer pollers than the main one), the function
// reports partial batch failures so one bad job never sends its neighbours back, and it reserves exactly the
// concurrency its event sources may use together: other functions cannot starve it, and it cannot take more.
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import type { JobConsumerName } from '../../lambdas/queues.js';
import { HandlerFunction, type HandlerFunctionProps } from './handler-function.js';
import type { JobQueue } from './job-queue.js';

/** The range Lambda accepts for an SQS event source's maximum concurrency. */
const MAX_CONCURRENCY_RANGE = { min: 2, max: 1000 } as const;

export interface JobConsumerProps extends Omit<HandlerFunctionProps, 'handler' | 'reservedConcurrentExecutions'> {
  /** The entry point `lambdas/handlers/<handler>.ts`. */
  readonly handler: JobConsumerName;
  /** The queues it drains, each polled with the batch size and maxConcurrency of its definition. */
  readonly queues: readonly JobQueue[];
}

export class JobConsumer extends HandlerFunction {
  constructor(scope: Construct, id: string, props: JobConsumerProps) {
    const { queues, timeout, ...rest } = props;
    if (queues.length === 0) throw new Error(`job consumer ${props.handler} needs at least one queue, got none`);
    for (const { definition, consumerTimeout } of queues) {
      const { name, maxConcurrency } = definition;
      if (!Number.isInteger(maxConcurrency) || maxConcurrency < MAX_CONCURRENCY_RANGE.min || maxConcurrency > MAX_CONCURRENCY_RANGE.max) {
        throw new Error(
          `job queue ${name}: maxConcurrency must be an integer from ${MAX_CONCURRENCY_RANGE.min} to ${MAX_CONCURRENCY_RANGE.max}, got ${maxConcurrency}`,
        );
      }
      if (timeout.toSeconds() > consumerTimeout.toSeconds()) {
        throw new Error(
          `job consumer ${props.handler}: a ${timeout.toSeconds()} s timeout outlives the ${consumerTimeout.toSeconds()} s ` +
            `that the visibility timeout of ${name} was sized for`,
        );
      }
    }
    const reservedConcurrentExecutions = queues.reduce((sum, { definition }) => sum + definition.maxConcurrency, 0);
    super(scope, id, { ...rest, timeout, reservedConcurrentExecutions });

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
