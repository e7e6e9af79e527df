// Suggested replies (the interactive lane): the tenant's own conversation, within its token quota, through the
// router. The answer says which route served it and why; when no route can answer in time the caller gets a
// 503 with Retry-After, and only tokens actually spent are charged to the tenant.
import * as z from 'zod';
import type { SummaryStore } from './conversation-summary.js';
import { liveComments } from '../conversations/conversation-transcript.js';
import { RoutingFailure, type LlmRouter, type RoutingDecision } from './llm-router.js';
import type { ConversationStore } from '../ports.js';
import { notFound, Problem } from '../problems.js';
import { REPLY_TONES, replyMessages, type ReplyTone } from './reply-prompt.js';
import type { TenantContext } from '../tenancy/tenancy.js';
import type { TokenQuota } from './token-quota.js';

/** `POST /v1/conversations/{id}/suggest-reply` body: `{}` or `{ "tone": "formal" }`. */
export const suggestReplyBodySchema = z.strictObject({ tone: z.enum(REPLY_TONES).default('friendly') });

/** The routing block as response headers, so a caller (or a log pipeline) sees which route answered and why. */
export const routingHeaders = (routing: RoutingDecision): Record<string, string> => ({
  'headroom-llm-route': routing.route,
  'headroom-llm-routing': `reason=${routing.reason}; attempts=${routing.attempts.filter((a) => a.ms > 0 || a.outcome === 'ok').length}; latency-ms=${routing.latencyMs}`,
});

export interface ReplySuggestionDeps {
  readonly tenant: TenantContext;
  readonly store: ConversationStore;
  readonly summaries: SummaryStore;
  readonly router: LlmRouter;
  readonly quota: TokenQuota;
}

export interface ReplySuggestion {
  readonly conversationId: string;
  readonly suggestion: string;
  readonly routing: RoutingDecision;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
}

/** Comments read for context: the newest of them that fit the prompt budget are sent. */
const MAX_COMMENTS_READ = 300;

/** A routing failure as the caller sees it: 503, when to retry, and which routes were tried (no provider detail). */
export function unavailable(failure: RoutingFailure): Problem {
  return new Problem(
    'llm-unavailable',
    `No AI model could answer within the deadline (${failure.attempts.length} route(s) tried or skipped). Retry after ${failure.retryAfterSeconds} s.`,
    {
      retryAfterSeconds: failure.retryAfterSeconds,
      attempts: failure.attempts.map(({ route, outcome }) => ({ route, outcome })),
    },
  );
}

/** A tenant's suggested replies, ready to serve: what the suggest-reply route calls. */
export interface ReplyService {
  suggest(conversationId: string, tone: ReplyTone): Promise<ReplySuggestion>;
}

export async function suggestReply(deps: ReplySuggestionDeps, conversationId: string, tone: ReplyTone): Promise<ReplySuggestion> {
  const { tenant, store, router, quota } = deps;
  await quota.ensureAvailable(tenant.tenantId, tenant.tier);
  const [conversation, comments, summary] = await Promise.all([
    store.getConversation(conversationId),
    liveComments(store, conversationId, MAX_COMMENTS_READ),
    deps.summaries.get(conversationId),
  ]);
  if (!conversation || conversation.deleted) throw notFound('Conversation');
  try {
    const { completion, routing } = await router.complete({
      lane: 'interactive',
      messages: replyMessages({ conversation, comments, ...(summary ? { summary: summary.text } : {}) }, tone),
    });
    await quota.record(tenant.tenantId, completion.inputTokens + completion.outputTokens);
    return {
      conversationId,
      suggestion: completion.text,
      routing,
      usage: { inputTokens: completion.inputTokens, outputTokens: completion.outputTokens },
    };
  } catch (error) {
    if (error instanceof RoutingFailure) throw unavailable(error);
    throw error;
  }
}
