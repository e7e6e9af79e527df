// The synthetic heartbeat: a canary tenant does what customers do (create a conversation, add a comment) through
// the public API and waits until the comment is visible downstream (searchable). A run only counts as a success
// when the whole round trip completed before its deadline, so a write path that accepts writes but never
// applies them downstream still pages; an API failure never throws out of a run, so every minute yields exactly
// one outcome.

/** A search hit as the canary needs it: which conversation (and comment, when the index says) matched. */
export interface CanarySearchHit {
  readonly conversationId: string;
  readonly commentId?: string;
}

/** A conversation as the canary's cleanup needs it from a listing: whose it is and when it last changed. */
export interface CanaryConversation {
  readonly id: string;
  readonly author: string;
  readonly updatedAt: string;
}

/** One page of the tenant's conversations, most recently updated first. */
export interface CanaryConversationPage {
  readonly items: readonly CanaryConversation[];
  readonly nextCursor: string | null;
}

/** The public API as the canary tenant uses it (HTTP on AWS and locally; a fake in tests). */
export interface CanaryApi {
  createConversation(
    input: { readonly subject: string; readonly body: string; readonly author: string },
    idempotencyKey: string,
  ): Promise<{ readonly id: string }>;
  addComment(
    conversationId: string,
    input: { readonly body: string; readonly author: string },
    idempotencyKey: string,
  ): Promise<{ readonly id: string }>;
  search(query: string): Promise<readonly CanarySearchHit[]>;
  listConversations(cursor?: string): Promise<CanaryConversationPage>;
  /** A soft delete; false when the conversation was already gone (deleted by an earlier sweep). */
  deleteConversation(conversationId: string): Promise<boolean>;
}

/** What a run calls: the writes and the search. */
export type CanaryRoundTripApi = Pick<CanaryApi, 'createConversation' | 'addComment' | 'search'>;

export type CanaryStage = 'create-conversation' | 'add-comment' | 'applied-downstream';

export interface CanaryTimings {
  /** Milliseconds from the start of the run to the end of each stage that completed. */
  readonly conversationCreatedMs?: number;
  readonly commentCreatedMs?: number;
  readonly appliedMs?: number;
}

export type CanaryOutcome =
  | {
      readonly ok: true;
      readonly nonce: string;
      readonly conversationId: string;
      readonly commentId: string;
      /** Create → applied downstream, in milliseconds: the `HeartbeatRoundTripMs` metric. */
      readonly roundTripMs: number;
      readonly searchPolls: number;
      readonly timings: CanaryTimings;
    }
  | {
      readonly ok: false;
      readonly nonce: string;
      readonly failedStage: CanaryStage;
      readonly reason: string;
      readonly conversationId?: string;
      readonly commentId?: string;
      /** Time spent before giving up; not a round trip, so it is never published as one. */
      readonly elapsedMs: number;
      readonly searchPolls: number;
      readonly timings: CanaryTimings;
    };

export interface CanaryOptions {
  readonly api: CanaryRoundTripApi;
  readonly clock: { now(): Date };
  readonly sleep: (ms: number) => Promise<void>;
  /** The run gives up (and fails) when this instant passes: keep it inside the scheduler's period and timeout. */
  readonly deadline: Date;
  /**
   * A token unique to this run that appears only in the comment body, so a search hit for it proves the comment
   * itself was applied downstream (not an older copy of the conversation). Letters and digits, 8-64.
   */
  readonly nonce: string;
  /** Wait for the comment to become searchable. @default true (false: the round trip ends at the comment's 201) */
  readonly awaitSearch?: boolean;
  /** Pause between search polls. @default 1000 */
  readonly pollIntervalMs?: number;
}

export const CANARY_AUTHOR = 'heartbeat-canary@headroom.invalid';

const NONCE = /^[A-Za-z0-9]{8,64}$/;

/** Turns any thrown value into one log-friendly sentence (problem+json titles included by the adapter). */
export const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function runHeartbeatCanary(options: CanaryOptions): Promise<CanaryOutcome> {
  const { api, clock, sleep, deadline, nonce } = options;
  if (!NONCE.test(nonce)) throw new Error(`canary nonce must be 8-64 letters or digits, got '${nonce}'`);
  const awaitSearch = options.awaitSearch ?? true;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const started = clock.now().getTime();
  const elapsed = () => clock.now().getTime() - started;
  const timings: { conversationCreatedMs?: number; commentCreatedMs?: number; appliedMs?: number } = {};
  let searchPolls = 0;
  let conversationId: string | undefined;
  let commentId: string | undefined;

  const fail = (failedStage: CanaryStage, reason: string): CanaryOutcome => ({
    ok: false,
    nonce,
    failedStage,
    reason,
    ...(conversationId === undefined ? {} : { conversationId }),
    ...(commentId === undefined ? {} : { commentId }),
    elapsedMs: elapsed(),
    searchPolls,
    timings: { ...timings },
  });
  const pastDeadline = () => clock.now().getTime() >= deadline.getTime();

  try {
    // Idempotency keys bound to the nonce: an adapter retry of a timed-out create replays instead of writing twice.
    const conversation = await api.createConversation(
      { subject: 'Heartbeat canary', body: 'Synthetic heartbeat: a canary tenant checking that writes succeed.', author: CANARY_AUTHOR },
      `canary-${nonce}-conversation`,
    );
    conversationId = conversation.id;
    timings.conversationCreatedMs = elapsed();
  } catch (error) {
    return fail('create-conversation', reasonOf(error));
  }
  if (pastDeadline()) return fail('create-conversation', 'the deadline passed while creating the conversation');

  try {
    const comment = await api.addComment(conversationId, { body: `heartbeat ${nonce}`, author: CANARY_AUTHOR }, `canary-${nonce}-comment`);
    commentId = comment.id;
    timings.commentCreatedMs = elapsed();
  } catch (error) {
    return fail('add-comment', reasonOf(error));
  }
  if (pastDeadline()) return fail('add-comment', 'the deadline passed while adding the comment');

  if (awaitSearch) {
    let lastError: string | undefined;
    for (;;) {
      searchPolls++;
      try {
        const hits = await api.search(nonce);
        const found = hits.some(
          (hit) => hit.conversationId === conversationId && (hit.commentId === undefined || hit.commentId === commentId),
        );
        if (found) break;
        lastError = undefined;
      } catch (error) {
        // A failing search is retried like a miss until the deadline: the index may be mid-deploy for a second.
        lastError = reasonOf(error);
      }
      const remaining = deadline.getTime() - clock.now().getTime();
      if (remaining <= 0) {
        return fail(
          'applied-downstream',
          `the comment was not searchable after ${searchPolls} searches in ${elapsed()} ms` +
            (lastError ? ` (last search failed: ${lastError})` : ''),
        );
      }
      await sleep(Math.min(pollIntervalMs, remaining));
    }
  }
  timings.appliedMs = elapsed();
  return { ok: true, nonce, conversationId, commentId, roundTripMs: timings.appliedMs, searchPolls, timings: { ...timings } };
}
