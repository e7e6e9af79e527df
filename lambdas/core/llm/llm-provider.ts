// The one port every model provider sits behind (Bedrock Converse, any OpenAI-compatible endpoint, the local
// simulator). A provider either returns a completion or throws a ProviderError whose `kind` tells the router
// whether another route may succeed where this one failed; it never decides about retries itself.

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface CompletionRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly maxOutputTokens: number;
  readonly temperature: number;
  /** Aborted when the attempt's time is up (first-token timeout or the request's deadline). */
  readonly signal: AbortSignal;
  /** Called once, when the first output token arrives (streaming providers); lets the router time it out. */
  readonly onFirstToken?: () => void;
}

export interface Completion {
  readonly text: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** `length`: the model stopped at the token limit, so the text is truncated. */
  readonly stopReason: 'end' | 'length' | 'other';
}

export interface LlmProvider {
  complete(request: CompletionRequest): Promise<Completion>;
}

/**
 * - `throttled`: 429 or a throttling exception; another route may have capacity.
 * - `unavailable`: 5xx, connection refused or reset; another route may be up.
 * - `timeout`: no first token, or no answer, in time.
 * - `invalid-output`: a 2xx whose body is not a usable completion (garbage, empty, truncated, over-long).
 * - `rejected`: the provider refused this request itself (4xx other than 429, access denied).
 */
export type ProviderErrorKind = 'throttled' | 'unavailable' | 'timeout' | 'invalid-output' | 'rejected';

export class ProviderError extends Error {
  override readonly name = 'ProviderError';

  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    /** When the provider said how long to back off (Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Any failure as a ProviderError; an abort (our own timeout) is a timeout, anything unknown is unavailability. */
export function asProviderError(error: unknown, signal?: AbortSignal): ProviderError {
  if (error instanceof ProviderError) return error;
  if (signal?.aborted) return new ProviderError('timeout', 'the attempt ran out of time');
  return new ProviderError('unavailable', error instanceof Error ? error.message : String(error));
}
