// Conversations and comments for one tenant. Every change bumps the item's version `v` and deletes are
// tombstones, so downstream copies (search, shard moves) can always tell newer from older. A create carrying an
// Idempotency-Key commits together with its key, so a retry replays the first response and never writes twice.
import { createHash } from 'node:crypto';
import type { CommentView, ConversationView, CreateCommentInput, CreateConversationInput, Page } from '../api-contract.js';
import type { CursorCodec } from './cursor.js';
import { notFound, Problem } from '../problems.js';
import type {
  Clock,
  CommentRecord,
  ConversationRecord,
  ConversationStore,
  FlagReader,
  IdempotencyClaim,
  IdGenerator,
  OutcomeRecorder,
  WriteOutcome,
} from '../ports.js';
import type { TenantContext } from '../tenancy/tenancy.js';

export interface ConversationServiceDeps {
  readonly tenant: TenantContext;
  readonly store: ConversationStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Loaded on first use: only listings need the signing key (on AWS it comes from Secrets Manager). */
  readonly cursors: () => Promise<CursorCodec>;
  readonly idempotencyTtlSeconds: number;
  readonly outcomes: OutcomeRecorder;
  readonly flags: FlagReader;
}

/** Operators pause a tenant's writes (maintenance, incident containment) with this flag; reads keep working. */
export const WRITES_PAUSED_FLAG = 'tenant.writes-paused';

export interface Created<T> {
  readonly value: T;
  /** True when this response replays an earlier request with the same Idempotency-Key. */
  readonly replayed: boolean;
}

export interface ConversationWithComments extends ConversationView {
  readonly comments: Page<CommentView>;
}

const toConversationView = ({ deleted: _deleted, ...view }: ConversationRecord): ConversationView => view;
const toCommentView = ({ deleted: _deleted, ...view }: CommentRecord): CommentView => view;

/** Same route + same canonical body = same request; anything else under a used key is a client error. */
export const requestHash = (route: string, input: unknown): string =>
  createHash('sha256').update(route).update('\n').update(JSON.stringify(input)).digest('hex');

export function conversationService(deps: ConversationServiceDeps) {
  const { tenant, store, clock, ids } = deps;

  const claimFor = (key: string | undefined, route: string, input: unknown, response: unknown): IdempotencyClaim | undefined =>
    key === undefined
      ? undefined
      : {
          key,
          requestHash: requestHash(route, input),
          expiresAt: Math.floor(clock.now().getTime() / 1000) + deps.idempotencyTtlSeconds,
          response: JSON.stringify(response),
        };

  function settle<T>(outcome: WriteOutcome, value: T, what: string, record: () => void): Created<T> {
    switch (outcome.kind) {
      case 'written':
        record();
        return { value, replayed: false };
      case 'replay':
        return { value: JSON.parse(outcome.response) as T, replayed: true };
      case 'key-reused':
        throw new Problem(
          'idempotency-key-reused',
          'This Idempotency-Key was already used with a different request. Use a new key for a new request.',
        );
      case 'conversation-missing':
        throw notFound(what);
    }
  }

  async function ensureWritable(): Promise<void> {
    if (await deps.flags.getBooleanValue(WRITES_PAUSED_FLAG, false)) {
      throw new Problem('writes-paused', 'Writes are paused for this account by an operator; reads still work. Retry later.', {
        retryAfterSeconds: 30,
      });
    }
  }

  return {
    async create(input: CreateConversationInput, idempotencyKey?: string): Promise<Created<ConversationView>> {
      await ensureWritable();
      const now = clock.now();
      const at = now.toISOString();
      const record: ConversationRecord = {
        id: ids.next(),
        subject: input.subject,
        body: input.body,
        author: input.author,
        createdAt: at,
        updatedAt: at,
        commentCount: 0,
        version: 1,
        deleted: false,
      };
      const view = toConversationView(record);
      const claim = claimFor(idempotencyKey, 'POST /v1/conversations', input, view);
      return settle(await store.createConversation(record, claim, now), view, 'Conversation', () =>
        deps.outcomes.conversationCreated(tenant.tenantId),
      );
    },

    async addComment(conversationId: string, input: CreateCommentInput, idempotencyKey?: string): Promise<Created<CommentView>> {
      await ensureWritable();
      const now = clock.now();
      const record: CommentRecord = {
        id: ids.next(),
        conversationId,
        body: input.body,
        author: input.author,
        createdAt: now.toISOString(),
        version: 1,
        deleted: false,
      };
      const view = toCommentView(record);
      const claim = claimFor(idempotencyKey, `POST /v1/conversations/${conversationId}/comments`, input, view);
      return settle(await store.addComment(record, claim, now), view, 'Conversation', () => deps.outcomes.commentCreated(tenant.tenantId));
    },

    async list(limit: number, cursor?: string): Promise<Page<ConversationView>> {
      const cursors = await deps.cursors();
      const after = cursor === undefined ? undefined : cursors.decode(tenant.tenantId, 'conversations', cursor);
      const page = await store.listConversations(limit, after);
      return {
        items: page.items.map(toConversationView),
        nextCursor: page.next === undefined ? null : cursors.encode(tenant.tenantId, 'conversations', page.next),
      };
    },

    async get(conversationId: string, limit: number, cursor?: string): Promise<ConversationWithComments> {
      const scope = `comments:${conversationId}` as const;
      const cursors = await deps.cursors();
      const after = cursor === undefined ? undefined : cursors.decode(tenant.tenantId, scope, cursor);
      const [conversation, comments] = await Promise.all([
        store.getConversation(conversationId),
        store.listComments(conversationId, limit, after),
      ]);
      if (!conversation || conversation.deleted) throw notFound('Conversation');
      return {
        ...toConversationView(conversation),
        comments: {
          items: comments.items.map(toCommentView),
          nextCursor: comments.next === undefined ? null : cursors.encode(tenant.tenantId, scope, comments.next),
        },
      };
    },

    async remove(conversationId: string): Promise<void> {
      await ensureWritable();
      const found = await store.softDeleteConversation(conversationId, clock.now().toISOString());
      if (!found) throw notFound('Conversation');
    },
  };
}

export type ConversationService = ReturnType<typeof conversationService>;
