// The queue inspector's composition: depth, in-flight and oldest age of every job queue and DLQ, and DLQ redrive
// (SQS; the oldest age from CloudWatch on AWS, from the embedded platform's emulator locally). Only the queue
// admin function imports this file, so only its bundle carries the CloudWatch client.
import { createSqsClient } from '../adapters/aws/aws-clients.js';
import { cloudWatchOldestAge, SqsQueueInspector } from '../adapters/aws/sqs-queue-inspector.js';
import type { QueueInspector } from '../core/ports.js';
import { jobQueueUrls } from './job-queues.js';
import type { Platform } from './platform.js';

export const queuesOf = (platform: Platform): QueueInspector =>
  platform.parts.once(queuesOf, () => {
    const { env, host } = platform.parts;
    return new SqsQueueInspector(createSqsClient(), jobQueueUrls(env), host.oldestAge ?? cloudWatchOldestAge());
  });
