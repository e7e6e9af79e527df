// An in-process conversation store with the same contract as the DynamoDB one (versions, tombstones, atomic
// idempotency claims, newest-first listing). It backs the handler-overhead benchmark and core unit tests, and
// passes the same contract suite as the DynamoDB adapter.
import type {
  CommentRecord,
  ConversationRecord,
  ConversationStore,
  IdempotencyClaim,
  ListPosition,
  WriteOutcome,
} from '../../core/ports.js';

interface Claim {
  readonly requestHash: string;
  readonly response: string;
  readonly expiresAt: number;
}

/** All tenants' data; `forTenant` hands out a store scoped to one tenant, like the DynamoDB adapter's keys. */
export class MemoryConversationData {
  readonly conversations = new Map<string, Map<string, ConversationRecord>>();
  readonly comments = new Map<string, CommentRecord[]>();
  readonly claims = new Map<string, Claim>();

  forTenant(tenantId: string): ConversationStore {
    return new MemoryConversationStore(this, tenantId);
  }
}

const sortKey = (conversation: ConversationRecord): string => `${conversation.updatedAt}#${conversation.id}`;

class MemoryConversationStore implements ConversationStore {
  constructor(
    private readonly data: MemoryConversationData,
    private readonly tenantId: string,
  ) {}

  private get conversations(): Map<string, ConversationRecord> {
    let map = this.data.conversations.get(this.tenantId);
    if (!map) this.data.conversations.set(this.tenantId, (map = new Map()));
    return map;
  }

  private claim(claim: IdempotencyClaim | undefined, now: Date): WriteOutcome | undefined {
    if (!claim) return undefined;
    const key = `${this.tenantId}#${claim.key}`;
    const existing = this.data.claims.get(key);
    if (existing && existing.expiresAt >= Math.floor(now.getTime() / 1000)) {
      return existing.requestHash === claim.requestHash ? { kind: 'replay', response: existing.response } : { kind: 'key-reused' };
    }
    return undefined;
  }

  private keep(claim: IdempotencyClaim | undefined): void {
    if (claim) this.data.claims.set(`${this.tenantId}#${claim.key}`, claim);
  }

  async createConversation(conversation: ConversationRecord, claim?: IdempotencyClaim, now = new Date()): Promise<WriteOutcome> {
    const taken = this.claim(claim, now);
    if (taken) return taken;
    this.conversations.set(conversation.id, conversation);
    this.keep(claim);
    return { kind: 'written' };
  }

  async addComment(comment: CommentRecord, claim?: IdempotencyClaim, now = new Date()): Promise<WriteOutcome> {
    const taken = this.claim(claim, now);
    if (taken) return taken;
    const conversation = this.conversations.get(comment.conversationId);
    if (!conversation || conversation.deleted) return { kind: 'conversation-missing' };
    this.conversations.set(conversation.id, {
      ...conversation,
      updatedAt: comment.createdAt,
      version: conversation.version + 1,
      commentCount: conversation.commentCount + 1,
    });
    const key = `${this.tenantId}#${comment.conversationId}`;
    this.data.comments.set(key, [...(this.data.comments.get(key) ?? []), comment]);
    this.keep(claim);
    return { kind: 'written' };
  }

  async getConversation(conversationId: string): Promise<ConversationRecord | undefined> {
    return this.conversations.get(conversationId);
  }

  async listConversations(limit: number, after?: ListPosition): Promise<{ items: ConversationRecord[]; next?: ListPosition }> {
    const live = [...this.conversations.values()]
      .filter((conversation) => !conversation.deleted && (after === undefined || sortKey(conversation) < after))
      .sort((a, b) => sortKey(b).localeCompare(sortKey(a)));
    const items = live.slice(0, limit);
    const last = items.at(-1);
    return { items, next: live.length > limit && last ? sortKey(last) : undefined };
  }

  async listComments(conversationId: string, limit: number, after?: string): Promise<{ items: CommentRecord[]; next?: string }> {
    const all = this.data.comments.get(`${this.tenantId}#${conversationId}`) ?? [];
    const start = after === undefined ? 0 : all.findIndex((comment) => comment.id === after) + 1;
    const items = all.slice(start, start + limit);
    const last = items.at(-1);
    return { items, next: start + limit < all.length && last ? last.id : undefined };
  }

  async softDeleteConversation(conversationId: string, at: string): Promise<boolean> {
    const conversation = this.conversations.get(conversationId);
    if (!conversation) return false;
    if (!conversation.deleted)
      this.conversations.set(conversationId, { ...conversation, deleted: true, updatedAt: at, version: conversation.version + 1 });
    return true;
  }
}
