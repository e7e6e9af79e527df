// Any OpenAI-compatible chat completions endpoint (a vendor's API, a self-hosted gateway, the local simulator)
// behind the provider port. Responses are streamed so the router can time the first token; every way a
// response can go wrong (status, broken JSON, a stream cut off before its end) becomes a typed ProviderError.
import { ProviderError, type Completion, type CompletionRequest, type LlmProvider } from '../../core/llm/llm-provider.js';

export interface OpenAiCompatibleOptions {
  /** The API base URL, ending before `/chat/completions` (usually `…/v1`). */
  readonly baseUrl: string;
  /** The bearer key, loaded once on first use (Secrets Manager on AWS); undefined sends no Authorization. */
  readonly apiKey: () => Promise<string | undefined>;
  /** Stream the answer (server-sent events) to learn the time to first token. @default true */
  readonly stream?: boolean;
}

interface ChatChunk {
  choices?: { delta?: { content?: unknown }; message?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
}

const CHARS_PER_TOKEN = 4;

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function statusError(status: number, retryAfter: string | null, detail: string): ProviderError {
  if (status === 429) return new ProviderError('throttled', `429 from the provider: ${detail}`, retryAfterMs(retryAfter));
  if (status === 408 || status === 504) return new ProviderError('timeout', `${status} from the provider: ${detail}`);
  if (status >= 500) return new ProviderError('unavailable', `${status} from the provider: ${detail}`, retryAfterMs(retryAfter));
  return new ProviderError('rejected', `${status} from the provider: ${detail}`);
}

function parseChunk(raw: string): ChatChunk {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    return parsed as ChatChunk;
  } catch {
    throw new ProviderError('invalid-output', `the provider sent a body that is not a chat completion: ${raw.slice(0, 80)}`);
  }
}

const stopReason = (reason: unknown): Completion['stopReason'] => (reason === 'stop' ? 'end' : reason === 'length' ? 'length' : 'other');

function usageOf(chunk: ChatChunk | undefined, request: CompletionRequest, text: string) {
  const input = chunk?.usage?.prompt_tokens;
  const output = chunk?.usage?.completion_tokens;
  const promptChars = request.messages.reduce((sum, message) => sum + message.content.length, 0);
  return {
    inputTokens: typeof input === 'number' ? input : Math.ceil(promptChars / CHARS_PER_TOKEN),
    outputTokens: typeof output === 'number' ? output : Math.ceil(text.length / CHARS_PER_TOKEN),
  };
}

export class OpenAiCompatibleProvider implements LlmProvider {
  private key: Promise<string | undefined> | undefined;

  constructor(private readonly options: OpenAiCompatibleOptions) {}

  async complete(request: CompletionRequest): Promise<Completion> {
    const stream = this.options.stream ?? true;
    const key = await (this.key ??= this.options.apiKey().catch((error: unknown) => {
      this.key = undefined;
      throw new ProviderError('unavailable', `cannot load the API key: ${(error as Error).message}`);
    }));
    const response = await fetch(`${this.options.baseUrl.replace(/\/$/, '')}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({
        model: request.model,
        messages: request.messages,
        max_tokens: request.maxOutputTokens,
        temperature: request.temperature,
        stream,
        ...(stream ? { stream_options: { include_usage: true } } : {}),
      }),
      signal: request.signal,
    });
    if (!response.ok) {
      const detail = (await response.text().catch(() => '')).slice(0, 200);
      throw statusError(response.status, response.headers.get('retry-after'), detail);
    }
    return stream ? this.readStream(response, request) : this.readWhole(response, request);
  }

  /** The body's bytes; a connection dropped mid-stream is a cut-off answer, unless we aborted it ourselves. */
  private async *chunks(response: Response, signal: AbortSignal): AsyncIterable<Uint8Array> {
    try {
      yield* response.body as unknown as AsyncIterable<Uint8Array>;
    } catch (error) {
      if (signal.aborted) throw new ProviderError('timeout', 'the attempt ran out of time mid-stream');
      throw new ProviderError('invalid-output', `the stream broke off before the completion ended: ${(error as Error).message}`);
    }
  }

  private async readWhole(response: Response, request: CompletionRequest): Promise<Completion> {
    const body = parseChunk(await response.text());
    const choice = body.choices?.[0];
    const content = choice?.message?.content;
    if (typeof content !== 'string') throw new ProviderError('invalid-output', 'the completion has no message content');
    request.onFirstToken?.();
    return { text: content, stopReason: stopReason(choice?.finish_reason), ...usageOf(body, request, content) };
  }

  private async readStream(response: Response, request: CompletionRequest): Promise<Completion> {
    if (!response.body) throw new ProviderError('invalid-output', 'the provider sent no body');
    const decoder = new TextDecoder();
    let buffer = '';
    let text = '';
    let finish: unknown;
    let usage: ChatChunk | undefined;
    let done = false;
    for await (const bytes of this.chunks(response, request.signal)) {
      buffer += decoder.decode(bytes, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        const chunk = parseChunk(data);
        if (chunk.usage) usage = chunk;
        const choice = chunk.choices?.[0];
        const delta = choice?.delta?.content;
        if (typeof delta === 'string' && delta.length > 0) {
          if (text.length === 0) request.onFirstToken?.();
          text += delta;
        }
        if (choice?.finish_reason) finish = choice.finish_reason;
      }
    }
    if (!done && finish === undefined) throw new ProviderError('invalid-output', 'the stream ended before the completion did');
    return { text, stopReason: stopReason(finish), ...usageOf(usage, request, text) };
  }
}
