// Amazon Bedrock behind the provider port, through the Converse API (one request shape for every model
// family). Bedrock's exceptions map onto the router's error kinds: throttling and quota → throttled, service
// and model availability → unavailable, model timeouts → timeout, validation and access → rejected.
import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandOutput,
  type Message,
  type SystemContentBlock,
} from '@aws-sdk/client-bedrock-runtime';
import { ProviderError, type Completion, type CompletionRequest, type LlmProvider } from '../../core/llm/llm-provider.js';

const THROTTLED = new Set(['ThrottlingException', 'ServiceQuotaExceededException', 'TooManyRequestsException']);
const UNAVAILABLE = new Set([
  'ServiceUnavailableException',
  'InternalServerException',
  'ModelNotReadyException',
  'ModelStreamErrorException',
]);
const TIMEOUT = new Set(['ModelTimeoutException', 'TimeoutError', 'AbortError']);

export function bedrockError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  const name = (error as { name?: string }).name ?? 'Error';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const message = `${name}: ${(error as Error).message ?? String(error)}`;
  if (THROTTLED.has(name) || status === 429) return new ProviderError('throttled', message);
  if (TIMEOUT.has(name)) return new ProviderError('timeout', message);
  if (UNAVAILABLE.has(name) || (status !== undefined && status >= 500)) return new ProviderError('unavailable', message);
  if (status !== undefined && status >= 400) return new ProviderError('rejected', message);
  return new ProviderError('unavailable', message);
}

function toCompletion(output: ConverseCommandOutput): Completion {
  const blocks = output.output?.message?.content;
  if (!Array.isArray(blocks)) throw new ProviderError('invalid-output', 'the Converse response has no message');
  const text = blocks.map((block) => block.text ?? '').join('');
  return {
    text,
    inputTokens: output.usage?.inputTokens ?? 0,
    outputTokens: output.usage?.outputTokens ?? 0,
    stopReason:
      output.stopReason === 'end_turn' || output.stopReason === 'stop_sequence'
        ? 'end'
        : output.stopReason === 'max_tokens'
          ? 'length'
          : 'other',
  };
}

export class BedrockProvider implements LlmProvider {
  private readonly client: BedrockRuntimeClient;

  /** `endpoint` points the SDK elsewhere (the local simulator's Bedrock face); AWS regions need none. */
  constructor(region: string, endpoint?: string) {
    // The router owns retries and failover; SDK retries would multiply attempts behind its back.
    this.client = new BedrockRuntimeClient({ region, maxAttempts: 1, ...(endpoint ? { endpoint } : {}) });
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const system: SystemContentBlock[] = request.messages.filter((m) => m.role === 'system').map((m) => ({ text: m.content }));
    const messages: Message[] = request.messages
      .filter((m) => m.role !== 'system')
      .map((m) => ({ role: m.role === 'assistant' ? 'assistant' : 'user', content: [{ text: m.content }] }));
    try {
      const output = await this.client.send(
        new ConverseCommand({
          modelId: request.model,
          system,
          messages,
          inferenceConfig: { maxTokens: request.maxOutputTokens, temperature: request.temperature },
        }),
        { abortSignal: request.signal },
      );
      request.onFirstToken?.();
      return toCompletion(output);
    } catch (error) {
      throw bedrockError(error);
    }
  }
}
