// The AI composition: the router over the configured routes, their provider adapters (Bedrock per region,
// OpenAI-compatible per base URL, keys from Secrets Manager), operator drains, the token quota, the routing
// metrics, and the services built on them (suggested replies, conversation summaries). Only the functions that
// call a model or steer its routes import this file, so only their bundles carry a provider SDK.
import { BedrockProvider } from '../adapters/aws/bedrock-provider.js';
import { OpenAiCompatibleProvider } from '../adapters/http/openai-compatible-provider.js';
import type { LlmProvider } from '../core/llm/llm-provider.js';
import { createLlmRouter, type LlmRouter, type RoutingObserver } from '../core/llm/llm-router.js';
import type { LlmRoute, LlmSettings, RouteId } from '../core/llm/llm-settings.js';
import type { Clock } from '../core/ports.js';
import { createRouteDrains, type RouteDrains, type RouteDrainStore } from '../core/llm/route-drains.js';
import { emit, logger } from '../observability.js';
import { DynamoRouteDrainStore } from '../adapters/aws/dynamo-route-drain-store.js';
import { DynamoSummaryStore } from '../adapters/aws/dynamo-summary-store.js';
import { DynamoTokenLedger } from '../adapters/aws/dynamo-token-ledger.js';
import type { SummaryJobDeps, SummaryStore } from '../core/llm/conversation-summary.js';
import { suggestReply, type ReplyService } from '../core/llm/reply-suggestions.js';
import { createTokenQuota, type TokenQuota } from '../core/llm/token-quota.js';
import { Problem } from '../core/problems.js';
import { tableOfShard } from '../core/tenancy/shard-topology.js';
import type { TenantContext } from '../core/tenancy/tenancy.js';
import type { Platform } from './platform.js';

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

/** A route's API key, read on its first use: routes without a key never load the Secrets Manager client. */
async function secretValue(name: string): Promise<string> {
  const { readSecretString } = await import('../adapters/aws/secret-string.js');
  return (await readSecretString(name)).trim();
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
  attempt: emit.llmAttempt,
  served(decision) {
    if (decision.reason === 'failover') emit.llmFailover(decision.lane);
    logger.info('llm request served', { routing: decision });
  },
  failed(failure) {
    emit.llmFailed(failure.lane, failure.shed);
    logger.warn('llm request failed', { lane: failure.lane, shed: failure.shed, attempts: failure.attempts });
  },
  breaker(route, from, to) {
    emit.llmBreakerTransition(route, to);
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

function llmSettings(platform: Platform): LlmSettings {
  const { llm } = platform.parts.env;
  if (!llm) throw new Problem('llm-unavailable', 'AI help is not configured on this platform (HEADROOM_LLM is not set).');
  return llm;
}

/** This platform's router and drains, built on first use and shared by every invocation of the instance. */
export const llmOf = (platform: Platform): Promise<LlmServices> =>
  platform.parts.once(llmOf, async () => {
    const { doc, env, clock } = platform.parts;
    return composeLlm({
      settings: llmSettings(platform),
      clock,
      drainStore: new DynamoRouteDrainStore(doc, env.controlTable),
      drainCacheSeconds: env.flagCacheSeconds,
    });
  });

/** Per-tenant daily AI token quotas. */
export const tokenQuotaOf = (platform: Platform): TokenQuota =>
  platform.parts.once(tokenQuotaOf, () => {
    const { doc, env, clock } = platform.parts;
    return createTokenQuota(new DynamoTokenLedger(doc, env.controlTable), llmSettings(platform).tenantTokensPerDay, clock);
  });

/** The tenant's conversation summaries, on its own shard next to its conversations. */
const summaryStoreOf = (platform: Platform, tenant: TenantContext): SummaryStore =>
  new DynamoSummaryStore(platform.parts.doc, tableOfShard(platform.parts.env.shards, tenant.shard), tenant.tenantId);

/** A tenant's suggested replies (the interactive lane). */
export const repliesOf = (platform: Platform, tenant: TenantContext): ReplyService => ({
  suggest: async (conversationId, tone) =>
    suggestReply(
      {
        tenant,
        store: platform.parts.conversationStore(tenant),
        summaries: summaryStoreOf(platform, tenant),
        router: (await llmOf(platform)).router,
        quota: tokenQuotaOf(platform),
      },
      conversationId,
      tone,
    ),
});

/** What the conversation summary job processor needs (the background lane). */
export const summaryJobDeps = (platform: Platform): SummaryJobDeps => ({
  resolveTenant: (tenantId) => platform.directory.resolve(tenantId),
  conversations: (tenant) => platform.parts.conversationStore(tenant),
  summaries: (tenant) => summaryStoreOf(platform, tenant),
  enabled: platform.parts.env.llm !== undefined,
  router: async () => (await llmOf(platform)).router,
  quota: {
    ensureAvailable: (tenantId, tier) => tokenQuotaOf(platform).ensureAvailable(tenantId, tier),
    record: (tenantId, tokens) => tokenQuotaOf(platform).record(tenantId, tokens),
  },
  now: () => platform.clock.now(),
  onShed: emit.summaryShed,
});
