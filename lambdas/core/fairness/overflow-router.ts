// Admission for background work: each tenant group has a token bucket (rate and burst by tier). Within it, jobs
// go to the main fair queue; beyond it, to the overflow fair queue, with the same MessageGroupId. Nothing is
// ever dropped: a noisy group is slowed down, not silenced, and quiet groups keep the main queue to themselves.
import type { Tier } from '../tenancy/tiers.js';
import type { QueueName } from './queue-names.js';
import type { Clock } from '../ports.js';
import { createTokenBuckets, type TokenBucketLimits } from './token-bucket.js';

export type AdmissionLimits = Readonly<Record<Tier, TokenBucketLimits>>;

export interface OverflowRouter {
  /** The queue for one job of `group` (at `tier`), taking a token when it goes to the main queue. */
  route(group: string, tier: Tier): QueueName;
}

export function createOverflowRouter(limits: AdmissionLimits | undefined, clock: Clock): OverflowRouter {
  const buckets = createTokenBuckets();
  return {
    route(group, tier) {
      if (!limits) return 'jobs';
      return buckets.take(`${tier}#${group}`, limits[tier], clock.now().getTime()) ? 'jobs' : 'jobs-overflow';
    },
  };
}
