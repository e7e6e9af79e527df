// The embedded platform's AI routes: two simulated providers, one behind the OpenAI-compatible adapter and one
// behind the Bedrock adapter (the simulator speaks both), so `suggest-reply` works out of the box and both real
// adapters run locally. Lanes, quotas and deadlines come from the app config, as on AWS.
import type { LlmSettings } from '../lambdas/core/llm/llm-settings.js';
import { llmLanes } from './llm-lanes.js';
import type { ProviderScript, ProviderSimulator } from './provider-simulator.js';

/** Simulated provider names (and their initial scripts). */
export const SIMULATED_PROVIDERS: Readonly<Record<string, Partial<ProviderScript>>> = {
  'sim-openai': {},
  'sim-bedrock': { latency: { p50Ms: 80, p99Ms: 240 } },
};

export function simulatedLlmSettings(base: LlmSettings, simulator: ProviderSimulator): LlmSettings {
  const limits = { maxConcurrency: 32, tokensPerMinute: 2_000_000 };
  return {
    ...base,
    routes: {
      'sim-openai': { provider: 'openai-compatible', model: 'sim-chat', baseUrl: simulator.openAiBaseUrl('sim-openai'), ...limits },
      'sim-bedrock': {
        provider: 'bedrock',
        model: 'anthropic.claude-3-haiku-20240307-v1:0',
        region: 'us-east-1',
        baseUrl: simulator.bedrockEndpoint('sim-bedrock'),
        ...limits,
      },
    },
    lanes: llmLanes({
      interactive: { 'sim-openai': 1, 'sim-bedrock': 1 },
      background: { 'sim-bedrock': 1, 'sim-openai': 1 },
      backgroundShare: base.lanes.background.share,
    }),
  };
}
