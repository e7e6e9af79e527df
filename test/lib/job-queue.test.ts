import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { JOB_QUEUES, type JobQueueDefinition } from '../../lambdas/queues.js';
import { DEFAULT_CONFIG } from '../../lib/config.js';
import { JobQueue } from '../../lib/constructs/job-queue.js';
import { resourceOf } from './template-queries.js';

const definition: JobQueueDefinition = JOB_QUEUES[0]!;
const alarmNaming = DEFAULT_CONFIG.operations.alarms;

describe('JobQueue', () => {
  it('defaults the visibility timeout to 6 × the consumer timeout and keeps dead letters 14 days', () => {
    const stack = new Stack(new App(), 'Queues');
    const queue = new JobQueue(stack, 'jobs', { definition, consumerTimeout: Duration.seconds(20), alarmNaming });
    expect(resourceOf(stack, queue.queue).Properties.VisibilityTimeout).toBe(120);
    expect(resourceOf(stack, queue.deadLetterQueue).Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it.each([
    [30, 179],
    [30, 30],
    [60, 300],
  ])('refuses a consumer timeout of %i s with a visibility timeout of %i s, naming the bad value', (consumer, visibility) => {
    const stack = new Stack(new App(), 'Queues');
    expect(
      () =>
        new JobQueue(stack, 'jobs', {
          definition,
          alarmNaming,
          consumerTimeout: Duration.seconds(consumer),
          visibilityTimeout: Duration.seconds(visibility),
        }),
    ).toThrow(`job queue jobs: the visibility timeout must be at least 6 × the consumer timeout (${6 * consumer} s), got ${visibility} s`);
  });

  it('accepts a visibility timeout of exactly 6 × the consumer timeout', () => {
    const stack = new Stack(new App(), 'Queues');
    new JobQueue(stack, 'jobs', {
      definition,
      alarmNaming,
      consumerTimeout: Duration.seconds(30),
      visibilityTimeout: Duration.seconds(180),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 180 });
  });
});
