// What the llm-routing benchmark's load generators share: the routes (two simulated providers, the primary
// preferred by weight), a router built on the real OpenAI-compatible adapter, and the request they send.
import { OpenAiCompatibleProvider } from '../lambdas/adapters/http/openai-compatible-provider.js';
import { createLlmRouter, type LlmRouter, type RoutingObserver } from '../lambdas/core/llm/llm-router.js';
import { DEFAULT_LLM_SETTINGS, type LlmSettings } from '../lambdas/core/llm/llm-settings.js';
import { llmLanes } from '../local/llm-lanes.js';

/** What each route may have in flight from one instance: more than a provider serves at once, as with many instances. */
export const ROUTE_CONCURRENCY = 64;

export function benchSettings(simulatorUrl: string, backgroundShare: number): LlmSettings {
  const limits = { maxConcurrency: ROUTE_CONCURRENCY, tokensPerMinute: 50_000_000 };
  return {
    ...DEFAULT_LLM_SETTINGS,
    routes: {
      primary: { provider: 'openai-compatible', model: 'sim', baseUrl: `${simulatorUrl}/primary/v1`, ...limits },
      secondary: { provider: 'openai-compatible', model: 'sim', baseUrl: `${simulatorUrl}/secondary/v1`, ...limits },
    },
    lanes: llmLanes({ interactive: { primary: 3, secondary: 1 }, backgroundShare }),
    deadlineMs: { interactive: 5_000, background: 10_000 },
    firstTokenTimeoutMs: 1_000,
  };
}

export function benchRouter(simulatorUrl: string, backgroundShare: number, observer?: RoutingObserver): LlmRouter {
  return createLlmRouter({
    settings: benchSettings(simulatorUrl, backgroundShare),
    clock: { now: () => new Date() },
    random: Math.random,
    provider: (_route, config) => new OpenAiCompatibleProvider({ baseUrl: config.baseUrl as string, apiKey: async () => undefined }),
    ...(observer ? { observer } : {}),
  });
}

export const BENCH_MESSAGES = [
  { role: 'system' as const, content: 'You draft replies for a support agent.' },
  {
    role: 'user' as const,
    content: 'Suggest a reply.\n<conversation>\n{"subject": "Printer on fire", "message": "It is on fire."}\n</conversation>',
  },
];
