// The AI half of the composition root, loaded by lambdas/composition/platform.ts on first use: the router over the configured
// routes, their provider adapters (Bedrock per region, OpenAI-compatible per base URL, keys from Secrets
// Manager), operator drains, the token quota, and the routing metrics. Functions that never call a model never
// evaluate this module, so they pay nothing for it at cold start.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { BedrockProvider } from '../adapters/aws/bedrock-provider.js';
import { OpenAiCompatibleProvider } from '../adapters/http/openai-compatible-provider.js';
import type { LlmProvider } from '../core/llm/llm-provider.js';
import { createLlmRouter, type LlmRouter, type RoutingObserver } from '../core/llm/llm-router.js';
import type { LlmRoute, LlmSettings, RouteId } from '../llm-routes.js';
import type { Clock } from '../core/ports.js';
import { createRouteDrains, type RouteDrains, type RouteDrainStore } from '../core/llm/route-drains.js';
import { logger, metrics } from '../observability.js';

export interface LlmServices {
  readonly settings: LlmSettings;
  readonly router: LlmRouter;
  readonly drains: RouteDrains;
}

export interface LlmComposition {
  readonly settings: LlmSettings;
  readonly clock: Clock;
  readonly drainStore: RouteDrainStore;
  readonly drainCacheSeconds: number;
}

async function secretValue(name: string): Promise<string> {
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: name }));
  if (!secret.SecretString) throw new Error(`secret ${name} has no string value`);
  return secret.SecretString.trim();
}

export function routeProvider(_route: RouteId, config: LlmRoute): LlmProvider {
  if (config.provider === 'bedrock') return new BedrockProvider(config.region as string, config.baseUrl);
  const secret = config.apiKeySecret;
  return new OpenAiCompatibleProvider({
    baseUrl: config.baseUrl as string,
    apiKey: async () => (secret ? secretValue(secret) : undefined),
  });
}

/** Every routing decision as metrics (route and outcome are config-bounded dimensions) and one log line per request. */
export const routingMetrics: RoutingObserver = {
  attempt(route, lane, outcome, ms, firstTokenMs) {
    const metric = metrics.singleMetric();
    metric.addDimensions({ route, outcome });
    metric.addMetric('LlmAttempt', MetricUnit.Count, 1);
    if (outcome === 'ok') {
      const timing = metrics.singleMetric();
      timing.addDimensions({ route, lane });
      timing.addMetric('LlmLatency', MetricUnit.Milliseconds, ms);
      if (firstTokenMs !== undefined) timing.addMetric('LlmTimeToFirstToken', MetricUnit.Milliseconds, firstTokenMs);
    }
  },
  served(decision) {
    if (decision.reason === 'failover') {
      const metric = metrics.singleMetric();
      metric.addDimensions({ lane: decision.lane });
      metric.addMetric('LlmFailover', MetricUnit.Count, 1);
    }
    logger.info('llm request served', { routing: decision });
  },
  failed(failure) {
    const metric = metrics.singleMetric();
    metric.addDimensions({ lane: failure.lane });
    metric.addMetric(failure.shed ? 'LlmShed' : 'LlmUnavailable', MetricUnit.Count, 1);
    logger.warn('llm request failed', { lane: failure.lane, shed: failure.shed, attempts: failure.attempts });
  },
  breaker(route, from, to) {
    const metric = metrics.singleMetric();
    metric.addDimensions({ route, state: to });
    metric.addMetric('LlmBreakerTransition', MetricUnit.Count, 1);
    logger.warn('llm route breaker changed state', { route, from, to });
  },
};

export function composeLlm(composition: LlmComposition): LlmServices {
  const { settings, clock } = composition;
  const drains = createRouteDrains(composition.drainStore, settings, clock, composition.drainCacheSeconds);
  const router = createLlmRouter({
    settings,
    clock,
    random: Math.random,
    provider: routeProvider,
    observer: routingMetrics,
    drained: () => drains.current(),
  });
  return { settings, router, drains };
}
