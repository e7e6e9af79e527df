// The provider simulator through the real provider adapters: the OpenAI-compatible adapter (streamed and not)
// and the Bedrock adapter (the AWS SDK's Converse client pointed at the simulator) each turn every scripted
// behaviour into the completion or typed error the router expects, and scripts change at run time through
// the HTTP control endpoint as well as the programmatic API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BedrockProvider } from '../../lambdas/adapters/aws/bedrock-provider.js';
import { OpenAiCompatibleProvider } from '../../lambdas/adapters/http/openai-compatible-provider.js';
import { ProviderError, type CompletionRequest, type LlmProvider } from '../../lambdas/core/llm/llm-provider.js';
import { HEALTHY, startProviderSimulator, type ProviderSimulator } from '../../local/provider-simulator.js';

let simulator: ProviderSimulator;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  simulator = await startProviderSimulator({
    providers: { a: { latency: { p50Ms: 20, p99Ms: 40 } }, b: { latency: { p50Ms: 20, p99Ms: 40 } } },
  });
});
afterAll(() => simulator?.stop());

const request = (overrides: Partial<CompletionRequest> = {}): CompletionRequest => ({
  model: 'sim-model',
  messages: [
    { role: 'system', content: 'You draft replies.' },
    { role: 'user', content: 'Reply to:\n<conversation>\n{"subject": "Printer on fire"}\n</conversation>' },
  ],
  maxOutputTokens: 200,
  temperature: 0.2,
  signal: AbortSignal.timeout(5_000),
  ...overrides,
});

const errorOf = async (provider: LlmProvider, req = request()) => {
  const error = await provider.complete(req).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
};

const adapters: [string, () => LlmProvider][] = [
  [
    'openai-compatible (streamed)',
    () => new OpenAiCompatibleProvider({ baseUrl: simulator.openAiBaseUrl('a'), apiKey: async () => 'sim-key' }),
  ],
  [
    'openai-compatible (whole)',
    () => new OpenAiCompatibleProvider({ baseUrl: simulator.openAiBaseUrl('a'), apiKey: async () => undefined, stream: false }),
  ],
  ['bedrock converse', () => new BedrockProvider('us-east-1', simulator.bedrockEndpoint('a'))],
];

describe.each(adapters)('%s adapter against the simulator', (_name, make) => {
  it('returns the completion with token usage and reports the first token', async () => {
    simulator.reset('a');
    let firstToken = 0;
    const completion = await make().complete(request({ onFirstToken: () => firstToken++ }));
    expect(completion.text).toContain('"Printer on fire"');
    expect(completion.stopReason).toBe('end');
    expect(completion.inputTokens).toBeGreaterThan(0);
    expect(completion.outputTokens).toBeGreaterThan(0);
    expect(firstToken).toBe(1);
    expect(simulator.lastRequest('a')?.messages[0]).toEqual({ role: 'system', content: 'You draft replies.' });
  });

  it('maps 429s, server errors and outages to throttled and unavailable', async () => {
    simulator.set('a', { throttleRate: 1 });
    expect((await errorOf(make())).kind).toBe('throttled');
    simulator.set('a', { throttleRate: 0, errorRate: 1 });
    expect((await errorOf(make())).kind).toBe('unavailable');
    simulator.set('a', { errorRate: 0, outage: 'error' });
    expect((await errorOf(make())).kind).toBe('unavailable');
    simulator.reset('a');
  });

  it('reports truncated output as such, never as a normal answer', async () => {
    simulator.set('a', { output: 'truncated' });
    const outcome = await make()
      .complete(request())
      .then(
        (c) => c.stopReason,
        (e: ProviderError) => e.kind,
      );
    expect(['length', 'invalid-output']).toContain(outcome);
    simulator.reset('a');
  });

  it('rejects a garbage body as invalid output', async () => {
    simulator.set('a', { output: 'garbage' });
    const error = await make()
      .complete(request())
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ProviderError);
    expect(['invalid-output', 'unavailable']).toContain((error as ProviderError).kind);
    simulator.reset('a');
  });

  it('gives up on a hung provider when the signal aborts', async () => {
    simulator.set('a', { outage: 'hang' });
    const started = Date.now();
    const error = await make()
      .complete(request({ signal: AbortSignal.timeout(150) }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeDefined();
    expect(Date.now() - started).toBeLessThan(2_000);
    simulator.reset('a');
  });
});

describe('provider simulator', () => {
  it('is scripted at run time through its HTTP control endpoint, per provider', async () => {
    const put = await fetch(`${simulator.url}/_control/providers/b`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ throttleRate: 1 }),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ ...HEALTHY, latency: { p50Ms: 20, p99Ms: 40 }, throttleRate: 1 });
    const provider = new OpenAiCompatibleProvider({ baseUrl: simulator.openAiBaseUrl('b'), apiKey: async () => undefined });
    const error = await errorOf(provider);
    expect(error.kind).toBe('throttled');
    expect(error.retryAfterMs).toBe(1_000);
    expect(simulator.stats('a').byStatus['429'] ?? 0).toBeGreaterThan(0);
    const view = (await (await fetch(`${simulator.url}/_control/providers/b`)).json()) as { stats: { byStatus: Record<string, number> } };
    expect(view.stats.byStatus['429']).toBe(1);
    await fetch(`${simulator.url}/_control/providers/b/reset`, { method: 'POST' });
    expect(simulator.script('b').throttleRate).toBe(0);
  });

  it('queues requests beyond a provider’s capacity, so overload shows up as latency', async () => {
    simulator.set('b', { capacity: 1, latency: { p50Ms: 50, p99Ms: 50 } });
    const provider = new OpenAiCompatibleProvider({ baseUrl: simulator.openAiBaseUrl('b'), apiKey: async () => undefined });
    const started = Date.now();
    await Promise.all(Array.from({ length: 4 }, () => provider.complete(request())));
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    simulator.reset('b');
  });
});
