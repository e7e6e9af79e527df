import { App, Duration, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { MAX_BACKGROUND_DEADLINE_MS } from '../../lambdas/core/llm/llm-settings.js';
import { JOB_QUEUES, JOB_WORKER_TIMEOUT_SECONDS, type JobQueueDefinition } from '../../lambdas/queues.js';
import { JobConsumer } from '../../lib/constructs/job-consumer.js';
import { DEFAULT_CONFIG } from '../../lib/config.js';
import { JobQueue } from '../../lib/constructs/job-queue.js';
import { CDK_CONTEXT } from './headroom-test-app.js';
import { resourceOf } from './template-queries.js';

const [main, overflow] = JOB_QUEUES as [JobQueueDefinition, JobQueueDefinition];

function consumer(queues: { definition: JobQueueDefinition; consumerTimeout: number }[], reserveConcurrency = true) {
  const stack = new Stack(new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } }), 'Consumers');
  const jobQueues = queues.map(
    ({ definition, consumerTimeout }) =>
      new JobQueue(stack, definition.name, {
        definition,
        consumerTimeout: Duration.seconds(consumerTimeout),
        alarmNaming: DEFAULT_CONFIG.operations.alarms,
      }),
  );
  const fn = new JobConsumer(stack, 'job-worker', {
    handler: 'job-worker',
    queues: jobQueues,
    environment: {},
    runtime: { memoryMb: 256, timeoutSeconds: 10, reserveConcurrency },
    logRetention: RetentionDays.ONE_DAY,
  });
  return { stack, fn };
}

describe('JobConsumer', () => {
  it('reserves exactly the sum of its event sources’ maxConcurrency, when reservations are on', () => {
    const { stack, fn } = consumer([
      { definition: main, consumerTimeout: JOB_WORKER_TIMEOUT_SECONDS },
      { definition: overflow, consumerTimeout: JOB_WORKER_TIMEOUT_SECONDS },
    ]);
    expect(resourceOf(stack, fn.lambda).Properties.ReservedConcurrentExecutions).toBe(main.maxConcurrency + overflow.maxConcurrency);
  });

  it('reserves nothing when reservations are off (the default: new accounts have too little concurrency)', () => {
    const queues = [main, overflow].map((definition) => ({ definition, consumerTimeout: JOB_WORKER_TIMEOUT_SECONDS }));
    const { stack, fn } = consumer(queues, false);
    expect(resourceOf(stack, fn.lambda).Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('refuses event sources that may run more than its manifest row reserves', () => {
    expect(() =>
      consumer([
        { definition: { ...main, maxConcurrency: 40 }, consumerTimeout: JOB_WORKER_TIMEOUT_SECONDS },
        { definition: { ...overflow, maxConcurrency: 3 }, consumerTimeout: JOB_WORKER_TIMEOUT_SECONDS },
      ]),
    ).toThrow('job consumer job-worker: reserves 22 but its event sources may run 43 at once');
  });

  it('refuses a timeout longer than the one its queue’s visibility timeout was sized for', () => {
    expect(() => consumer([{ definition: main, consumerTimeout: JOB_WORKER_TIMEOUT_SECONDS - 1 }])).toThrow(
      `job consumer job-worker: a ${JOB_WORKER_TIMEOUT_SECONDS} s timeout outlives the ${JOB_WORKER_TIMEOUT_SECONDS - 1} s that the visibility timeout of jobs was sized for`,
    );
  });

  it('outlives the longest background LLM request, so a slow provider cannot time out the whole batch', () => {
    expect(JOB_WORKER_TIMEOUT_SECONDS * 1000).toBeGreaterThan(MAX_BACKGROUND_DEADLINE_MS);
  });

  it.each([1, 1001, 2.5])('refuses a maxConcurrency of %s, outside what Lambda accepts', (maxConcurrency) => {
    expect(() => consumer([{ definition: { ...overflow, maxConcurrency }, consumerTimeout: JOB_WORKER_TIMEOUT_SECONDS }])).toThrow(
      `job queue jobs-overflow: maxConcurrency must be an integer from 2 to 1000, got ${maxConcurrency}`,
    );
  });

  it('refuses to be built without a queue', () => {
    expect(() => consumer([])).toThrow('job consumer job-worker needs at least one queue, got none');
  });
});
