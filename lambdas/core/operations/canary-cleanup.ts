// The canary cleans up after itself: a conversation it wrote is deleted through the public API once it has not been
// updated for the retention, so the canary tenant holds about a retention's worth of runs, not every run since the
// first deploy. A sweep deletes only what the canary wrote (its author: a customer's token stored in the canary
// secret by mistake never costs that customer a conversation), at most MAX_DELETES_PER_SWEEP of them, and never
// throws: it runs after the run's heartbeat was published, and a failed sweep is reported and tried again later.
// A delete creates nothing, so ConversationCreated and CommentCreated still count every run.
import { CANARY_AUTHOR, reasonOf, type CanaryApi, type CanaryConversation } from './heartbeat-canary.js';

/**
 * Deletes per sweep. Each is a change job of the canary's tenant group: twenty stay within the smallest tier's
 * admission burst, so a sweep never pushes the canary's jobs to the overflow queue, and they are twice the
 * conversations that fall due between two sweeps at one run a minute.
 */
export const MAX_DELETES_PER_SWEEP = 20;

/**
 * Time from a sweep that left nothing due (or failed) to the next. Reaching the oldest conversations means listing
 * them all, newest first (a day of runs is about 15 requests), and DynamoDB reads the tombstones behind them too:
 * sweeping every ten minutes reads a tenth of what sweeping every run would. A sweep that stopped at its bound with
 * more due goes on at the next run.
 */
export const SWEEP_INTERVAL_MS = 10 * 60_000;

export interface CanaryCleanupOptions {
  readonly clock: { now(): Date };
  /** The canary's conversations not updated for this many hours are deleted. */
  readonly retentionHours: number;
}

export type CanaryCleanupOutcome =
  | { readonly status: 'not-due'; readonly nextSweepAt: string }
  | {
      readonly status: 'swept';
      readonly deleted: number;
      readonly pagesRead: number;
      /** Stopped at its bound or the deadline with more possibly due: the next run sweeps again. */
      readonly more: boolean;
    }
  | { readonly status: 'failed'; readonly deleted: number; readonly pagesRead: number; readonly reason: string };

/** What a sweep calls: the listing and the delete of the public API. */
export type CanaryCleanupApi = Pick<CanaryApi, 'listConversations' | 'deleteConversation'>;

export interface CanaryCleanup {
  /** Sweeps when a sweep is due, stopping at `deadline`; resolves with what it did, never rejects. */
  sweepIfDue(api: CanaryCleanupApi, deadline: Date): Promise<CanaryCleanupOutcome>;
}

/** The canary wrote it and it has not changed since `cutoff` (epoch ms); an unreadable time is never due. */
const isDue = (conversation: CanaryConversation, cutoff: number): boolean =>
  conversation.author === CANARY_AUTHOR && Date.parse(conversation.updatedAt) <= cutoff;

/** One per canary (a Lambda instance, the local loop): it remembers when the next sweep is due. */
export function canaryCleanup(options: CanaryCleanupOptions): CanaryCleanup {
  const { clock } = options;
  const retentionMs = options.retentionHours * 3_600_000;
  let nextSweepAt = 0;

  async function sweep(api: CanaryCleanupApi, cutoff: number, deadline: Date): Promise<CanaryCleanupOutcome> {
    const pastDeadline = () => clock.now().getTime() >= deadline.getTime();
    let deleted = 0;
    let attempts = 0;
    let pagesRead = 0;
    let cursor: string | undefined;
    try {
      for (;;) {
        if (pastDeadline()) return { status: 'swept', deleted, pagesRead, more: true };
        const page = await api.listConversations(cursor);
        pagesRead++;
        for (const conversation of page.items) {
          if (!isDue(conversation, cutoff)) continue;
          if (attempts === MAX_DELETES_PER_SWEEP || pastDeadline()) return { status: 'swept', deleted, pagesRead, more: true };
          attempts++;
          // Already gone (another instance's sweep got there first) counts against the bound, not as deleted.
          if (await api.deleteConversation(conversation.id)) deleted++;
        }
        if (page.nextCursor === null) return { status: 'swept', deleted, pagesRead, more: false };
        // The listing is most recently updated first: the next page is older still, so more is due.
        if (attempts === MAX_DELETES_PER_SWEEP) return { status: 'swept', deleted, pagesRead, more: true };
        cursor = page.nextCursor;
      }
    } catch (error) {
      return { status: 'failed', deleted, pagesRead, reason: reasonOf(error) };
    }
  }

  return {
    async sweepIfDue(api, deadline) {
      const started = clock.now().getTime();
      if (started < nextSweepAt) return { status: 'not-due', nextSweepAt: new Date(nextSweepAt).toISOString() };
      const outcome = await sweep(api, started - retentionMs, deadline);
      nextSweepAt = outcome.status === 'swept' && outcome.more ? 0 : started + SWEEP_INTERVAL_MS;
      return outcome;
    },
  };
}
