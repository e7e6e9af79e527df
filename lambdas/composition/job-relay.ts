// The relay's composition: committed changes → jobs on the fair queues, through this instance's admission buckets
// (one token bucket per tenant group, so an over-quota group's jobs go to the overflow queue). Only the relay
// function imports this file.
import { createSqsClient } from '../adapters/aws/aws-clients.js';
import { SqsJobQueue } from '../adapters/aws/sqs-job-queue.js';
import { createOverflowRouter } from '../core/fairness/overflow-router.js';
import type { ChangeRecord } from '../core/jobs/change-capture.js';
import { relayChanges, type RelayResult } from '../core/jobs/change-relay.js';
import { jobQueueUrls } from './job-queues.js';
import type { Platform } from './platform.js';

export interface JobRelay {
  /** Relays a batch of committed changes to the job queues. */
  relay(records: readonly ChangeRecord[]): Promise<RelayResult>;
}

/** This platform's relay, built on first use: its admission buckets live as long as the instance. */
export const jobRelayOf = (platform: Platform): JobRelay =>
  platform.parts.once(jobRelayOf, () => {
    const { env, clock, directory, stores } = platform.parts;
    const deps = {
      directory,
      router: createOverflowRouter(env.admission, clock),
      queue: stores.jobQueue ?? new SqsJobQueue(createSqsClient(), jobQueueUrls(env)),
      defaultTier: env.defaultTier,
    };
    return { relay: (records) => relayChanges(records, deps) };
  });
