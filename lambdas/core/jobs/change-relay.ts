// The relay between a shard's change stream and the job queues. A change is acknowledged to the stream only
// after its job is on a queue, so a crash or a failed send makes the stream deliver it again: no change is lost,
// and consumers' version checks make the repeat harmless.
import type { Tier } from '../tenancy/tiers.js';
import type { QueueName } from '../fairness/queue-names.js';
import { captureChange, type ChangeRecord } from './change-capture.js';
import type { Job } from './jobs.js';
import type { OverflowRouter } from '../fairness/overflow-router.js';
import type { JobQueue } from '../ports.js';
import type { TenantDirectory } from '../tenancy/tenant-directory.js';
import type { TenantId } from '../tenancy/tenancy.js';

export interface RelayDeps {
  readonly directory: TenantDirectory;
  readonly router: OverflowRouter;
  readonly queue: JobQueue;
  readonly defaultTier: Tier;
}

export interface Overflow {
  readonly group: string;
  readonly tier: Tier;
  readonly jobs: number;
}

export interface RelayResult {
  /** Sequence numbers of changes whose jobs could not be queued; the stream redelivers from the first. */
  readonly failedSequenceNumbers: string[];
  readonly sent: Record<QueueName, number>;
  /** Groups over their admission quota in this batch, and how many of their jobs went to the overflow queue. */
  readonly overflowed: Overflow[];
}

export async function relayChanges(records: readonly ChangeRecord[], deps: RelayDeps): Promise<RelayResult> {
  const byQueue: Record<QueueName, { job: Job; sequenceNumber: string }[]> = { jobs: [], 'jobs-overflow': [] };
  const profiles = new Map<TenantId, Promise<{ group: string; tier: Tier }>>();
  const overflowed = new Map<string, Overflow>();
  const placement = (tenantId: TenantId) => {
    let found = profiles.get(tenantId);
    if (!found) {
      // A tenant without a profile (deleted, or mid-creation) still has its work done, in its own group.
      found = deps.directory
        .resolve(tenantId)
        .then((profile) => ({ group: profile?.group ?? tenantId, tier: profile?.tier ?? deps.defaultTier }));
      profiles.set(tenantId, found);
    }
    return found;
  };

  for (const record of records) {
    const change = captureChange(record);
    if (!change) continue;
    const { group, tier } = await placement(change.tenantId);
    const { sequenceNumber, ...rest } = change;
    const job: Job = { ...rest, group };
    const queue = deps.router.route(group, tier);
    if (queue === 'jobs-overflow') {
      const key = `${tier}#${group}`;
      const seen = overflowed.get(key);
      overflowed.set(key, { group, tier, jobs: (seen?.jobs ?? 0) + 1 });
    }
    byQueue[queue].push({ job, sequenceNumber });
  }

  const failedSequenceNumbers: string[] = [];
  for (const queue of ['jobs', 'jobs-overflow'] as const) {
    const entries = byQueue[queue];
    if (entries.length === 0) continue;
    const { failed } = await deps.queue.send(
      queue,
      entries.map((entry) => entry.job),
    );
    const failedJobs = new Set(failed);
    for (const entry of entries) if (failedJobs.has(entry.job)) failedSequenceNumbers.push(entry.sequenceNumber);
  }
  return {
    failedSequenceNumbers: failedSequenceNumbers.sort(compareSequenceNumbers),
    sent: { jobs: byQueue.jobs.length, 'jobs-overflow': byQueue['jobs-overflow'].length },
    overflowed: [...overflowed.values()],
  };
}

/** Stream sequence numbers are decimal strings of varying length. */
const compareSequenceNumbers = (a: string, b: string): number => (a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0);
