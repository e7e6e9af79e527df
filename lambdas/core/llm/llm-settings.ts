// The LLM routing configuration: named routes (one provider + model + region, with its own capacity limits) and
// the lanes that use them. One schema is shared by lib/config.ts (synth-time defaults and validation) and the
// runtime environment, so a route the stack grants access to is exactly a route the router can pick. Every lane
// names only routes that exist, and a background share below 1 is what keeps capacity free for customers.
import * as z from 'zod';
import { perTier } from '../tenancy/tiers.js';

/** The longest a background-lane request may take; the job worker's timeout is sized above it (lambdas/queues.ts). */
export const MAX_BACKGROUND_DEADLINE_MS = 120_000;

export const LANES = ['interactive', 'background'] as const;
/** Interactive: a person is waiting (suggest-reply). Background: derived data nobody waits for (summaries). */
export type Lane = (typeof LANES)[number];

export const PROVIDER_KINDS = ['bedrock', 'openai-compatible'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export type RouteId = string;

export const routeIdSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,47}[a-z0-9])?$/, 'route ids are 1-49 lowercase letters, digits or inner dashes');

export const llmRouteSchema = z.strictObject({
  provider: z.enum(PROVIDER_KINDS),
  /** Bedrock model id or inference profile id, or the model name an OpenAI-compatible endpoint expects. */
  model: z.string().min(1).max(200),
  /** Bedrock: the region to call. */
  region: z
    .string()
    .regex(/^[a-z]{2}(?:-[a-z]+)+-\d$/, 'regions look like us-east-1')
    .optional(),
  /** OpenAI-compatible: the API base URL (…/v1). Bedrock: an endpoint override (the local simulator). */
  baseUrl: z.url().optional(),
  /** OpenAI-compatible on AWS: name of the Secrets Manager secret holding the API key. */
  apiKeySecret: z
    .string()
    .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'a Secrets Manager secret name')
    .optional(),
  /** Requests this route may have in flight from one instance (all lanes together). */
  maxConcurrency: z.number().int().min(1).max(10_000),
  /** Tokens (prompt + completion) per minute this route may spend from one instance (all lanes together). */
  tokensPerMinute: z.number().int().min(100),
});
export type LlmRoute = z.infer<typeof llmRouteSchema>;

const laneSchema = z.strictObject({
  /** The fraction of every route's concurrency and tokens per minute this lane may use. */
  share: z.number().gt(0).max(1),
  /** The routes this lane may use, with relative weights (traffic split among routes of equal latency). */
  routes: z.array(z.strictObject({ route: routeIdSchema, weight: z.number().positive().max(1000) })).min(1),
});
export type LaneConfig = z.infer<typeof laneSchema>;

export const llmSettingsSchema = z
  .strictObject({
    routes: z.record(routeIdSchema, llmRouteSchema),
    lanes: z.strictObject({ interactive: laneSchema, background: laneSchema }),
    /** Tokens (prompt + completion) a tenant may spend per UTC day, by tier. */
    tenantTokensPerDay: perTier(z.number().int().min(0)),
    /** Whole-request deadlines per lane, retries and failovers included: an answer or an error, never a hang. */
    deadlineMs: z.strictObject({
      interactive: z.number().int().min(100).max(25_000),
      background: z.number().int().min(100).max(MAX_BACKGROUND_DEADLINE_MS),
    }),
    /** One attempt on one route gives up after this long without its first token, and fails over. */
    firstTokenTimeoutMs: z.number().int().min(50).max(60_000),
    /** Largest completion requested (and accepted) per call. */
    maxOutputTokens: z.number().int().min(16).max(8192),
    /** Retries (second and later attempts) may add at most this fraction of first attempts, plus a small floor. */
    retryRatio: z.number().min(0).max(1),
  })
  .superRefine((settings, ctx) => {
    for (const lane of LANES) {
      settings.lanes[lane].routes.forEach(({ route }, index) => {
        if (!settings.routes[route]) {
          ctx.addIssue({ code: 'custom', path: ['lanes', lane, 'routes', index, 'route'], message: `no route named ${route}` });
        }
      });
    }
    for (const [id, route] of Object.entries(settings.routes)) {
      if (route.provider === 'bedrock' && !route.region) {
        ctx.addIssue({ code: 'custom', path: ['routes', id, 'region'], message: 'a bedrock route needs a region' });
      }
      if (route.provider === 'openai-compatible' && !route.baseUrl) {
        ctx.addIssue({ code: 'custom', path: ['routes', id, 'baseUrl'], message: 'an openai-compatible route needs a baseUrl' });
      }
    }
    if (settings.lanes.background.share >= 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['lanes', 'background', 'share'],
        message: 'the background share must be below 1, or background work could take all capacity from customers',
      });
    }
  });
export type LlmSettings = z.infer<typeof llmSettingsSchema>;

/** Bedrock inference profiles (cross-region) carry a geography prefix before the model id. */
const INFERENCE_PROFILE = /^(?:us|eu|apac|us-gov|global|jp|au|ca)\.(.+)$/;

/** The foundation model behind a Bedrock model id, and whether the id names a cross-region inference profile. */
export function bedrockModel(modelId: string): { readonly foundationModel: string; readonly inferenceProfile: boolean } {
  const match = INFERENCE_PROFILE.exec(modelId);
  return match ? { foundationModel: match[1] as string, inferenceProfile: true } : { foundationModel: modelId, inferenceProfile: false };
}

/**
 * Defaults: two Bedrock regions of one model and a second model, so a region outage or a model's throttling
 * leaves a healthy route. An OpenAI-compatible vendor is added by config (it needs an API key secret).
 */
export const DEFAULT_LLM_SETTINGS: LlmSettings = {
  routes: {
    'haiku-use1': {
      provider: 'bedrock',
      model: 'anthropic.claude-3-haiku-20240307-v1:0',
      region: 'us-east-1',
      maxConcurrency: 50,
      tokensPerMinute: 200_000,
    },
    'haiku-usw2': {
      provider: 'bedrock',
      model: 'anthropic.claude-3-haiku-20240307-v1:0',
      region: 'us-west-2',
      maxConcurrency: 50,
      tokensPerMinute: 200_000,
    },
    'nova-lite-use1': {
      provider: 'bedrock',
      model: 'amazon.nova-lite-v1:0',
      region: 'us-east-1',
      maxConcurrency: 50,
      tokensPerMinute: 200_000,
    },
  },
  lanes: {
    interactive: {
      share: 1,
      routes: [
        { route: 'haiku-use1', weight: 2 },
        { route: 'haiku-usw2', weight: 1 },
        { route: 'nova-lite-use1', weight: 1 },
      ],
    },
    background: {
      share: 0.25,
      routes: [
        { route: 'nova-lite-use1', weight: 2 },
        { route: 'haiku-usw2', weight: 1 },
      ],
    },
  },
  tenantTokensPerDay: { free: 50_000, standard: 2_000_000, enterprise: 50_000_000 },
  deadlineMs: { interactive: 8_000, background: 30_000 },
  firstTokenTimeoutMs: 4_000,
  maxOutputTokens: 400,
  retryRatio: 0.2,
};
