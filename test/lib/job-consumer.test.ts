import { App, Duration, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { JOB_QUEUES, type JobQueueDefinition } from '../../lambdas/queues.js';
import { JobConsumer } from '../../lib/constructs/job-consumer.js';
import { JobQueue } from '../../lib/constructs/job-queue.js';
import { CDK_CONTEXT } from './headroom-test-app.js';
import { resourceOf } from './template-queries.js';

const [main, overflow] = JOB_QUEUES as [JobQueueDefinition, JobQueueDefinition];

function consumer(queues: { definition: JobQueueDefinition; consumerTimeout: number }[], timeout: number) {
  const stack = new Stack(new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } }), 'Consumers');
  const jobQueues = queues.map(
    ({ definition, consumerTimeout }) =>
      new JobQueue(stack, definition.name, { definition, consumerTimeout: Duration.seconds(consumerTimeout) }),
  );
  const fn = new JobConsumer(stack, 'job-worker', {
    handler: 'job-worker',
    queues: jobQueues,
    environment: {},
    memorySize: 256,
    timeout: Duration.seconds(timeout),
    logRetention: RetentionDays.ONE_DAY,
  });
  return { stack, fn };
}

describe('JobConsumer', () => {
  it('reserves exactly the sum of its event sources’ maxConcurrency', () => {
    const { stack, fn } = consumer(
      [
        { definition: { ...main, maxConcurrency: 40 }, consumerTimeout: 30 },
        { definition: { ...overflow, maxConcurrency: 3 }, consumerTimeout: 30 },
      ],
      30,
    );
    expect(resourceOf(stack, fn.lambda).Properties.ReservedConcurrentExecutions).toBe(43);
  });

  it('refuses a timeout longer than the one its queue’s visibility timeout was sized for', () => {
    expect(() => consumer([{ definition: main, consumerTimeout: 30 }], 31)).toThrow(
      'job consumer job-worker: a 31 s timeout outlives the 30 s that the visibility timeout of jobs was sized for',
    );
  });

  it.each([1, 1001, 2.5])('refuses a maxConcurrency of %s, outside what Lambda accepts', (maxConcurrency) => {
    expect(() => consumer([{ definition: { ...overflow, maxConcurrency }, consumerTimeout: 30 }], 30)).toThrow(
      `job queue jobs-overflow: maxConcurrency must be an integer from 2 to 1000, got ${maxConcurrency}`,
    );
  });

  it('refuses to be built without a queue', () => {
    expect(() => consumer([], 30)).toThrow('job consumer job-worker needs at least one queue, got none');
  });
});
