// The canary tenant's view of the public API over HTTP: the same requests an integration sends, with its bearer
// token, so the canary exercises API Gateway, the authorizer and the usage plan, not just the functions.
import type { CanaryApi, CanaryConversationPage, CanarySearchHit } from '../../core/operations/heartbeat-canary.js';

export interface CanaryApiClientOptions {
  /** The stage's base URL (the `ApiUrl` output), e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/v1/`. */
  readonly baseUrl: string;
  readonly token: string;
  /** Per request; a hung request must not eat the whole run's deadline. @default CANARY_REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** The longest one request may take by default: the canary's handler keeps this much time back after a sweep. */
export const CANARY_REQUEST_TIMEOUT_MS = 10_000;

/** The largest page the listing serves: the fewest requests to reach the canary's oldest conversations. */
const LIST_PAGE_SIZE = 100;

/** A non-2xx answer, named by its status and problem type so the canary's failure reason says what broke. */
export class CanaryHttpError extends Error {
  constructor(
    readonly status: number,
    readonly problemType: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'CanaryHttpError';
  }
}

const searchResponse = (body: unknown): CanarySearchHit[] => {
  const items = (body as { items?: unknown }).items;
  if (!Array.isArray(items)) throw new Error('search answered without an items array');
  return items.map((item: { id?: unknown; kind?: unknown; conversationId?: unknown }) => {
    if (typeof item.conversationId !== 'string') throw new Error('a search hit has no conversationId');
    // Comment documents are keyed `<conversationId>/<commentId>` (the job key).
    const commentId = item.kind === 'comment' && typeof item.id === 'string' ? item.id.split('/')[1] : undefined;
    return commentId ? { conversationId: item.conversationId, commentId } : { conversationId: item.conversationId };
  });
};

const conversationPage = (body: unknown): CanaryConversationPage => {
  const { items, nextCursor } = (body ?? {}) as { items?: unknown; nextCursor?: unknown };
  if (!Array.isArray(items)) throw new Error('list conversations answered without an items array');
  return {
    items: items.map((item: { id?: unknown; author?: unknown; updatedAt?: unknown }) => {
      if (typeof item.id !== 'string' || typeof item.author !== 'string' || typeof item.updatedAt !== 'string')
        throw new Error('a listed conversation has no id, author or updatedAt');
      return { id: item.id, author: item.author, updatedAt: item.updatedAt };
    }),
    nextCursor: typeof nextCursor === 'string' ? nextCursor : null,
  };
};

export function createCanaryApiClient(options: CanaryApiClientOptions): CanaryApi {
  const base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.requestTimeoutMs ?? CANARY_REQUEST_TIMEOUT_MS;

  async function call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, idempotencyKey?: string): Promise<unknown> {
    const response = await doFetch(new URL(path, base), {
      method,
      headers: {
        authorization: `Bearer ${options.token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const problem = (parsed ?? {}) as { type?: string; detail?: string; title?: string };
      throw new CanaryHttpError(
        response.status,
        problem.type,
        `${method} /${path} answered ${response.status}` +
          (problem.type ? ` ${problem.type}` : '') +
          (problem.detail ? `: ${problem.detail}` : ''),
      );
    }
    return parsed;
  }

  const idOf = (body: unknown, what: string): { id: string } => {
    const id = (body as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') throw new Error(`${what} answered without an id`);
    return { id };
  };

  return {
    createConversation: async (input, key) => idOf(await call('POST', 'v1/conversations', input, key), 'create conversation'),
    addComment: async (conversationId, input, key) =>
      idOf(await call('POST', `v1/conversations/${encodeURIComponent(conversationId)}/comments`, input, key), 'add comment'),
    search: async (query) => searchResponse(await call('GET', `v1/search?q=${encodeURIComponent(query)}&limit=10`)),
    listConversations: async (cursor) =>
      conversationPage(
        await call('GET', `v1/conversations?limit=${LIST_PAGE_SIZE}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`),
      ),
    deleteConversation: async (conversationId) => {
      try {
        await call('DELETE', `v1/conversations/${encodeURIComponent(conversationId)}`);
        return true;
      } catch (error) {
        if (error instanceof CanaryHttpError && error.status === 404) return false;
        throw error;
      }
    },
  };
}
