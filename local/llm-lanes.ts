// LLM lanes written as route weights, the shape every hand-made routing configuration shares (the embedded
// platform, the llm-routing benchmark, tests): the interactive lane may use all of every route it names, the
// background lane only its share of each, so customers always keep the rest.
import type { LlmSettings, RouteId } from '../lambdas/core/llm/llm-settings.js';

/** Relative weights by route, in the order the lane lists them (route ids that look like integers would reorder). */
export type RouteWeights = Readonly<Record<RouteId, number>>;

export interface LaneWeights {
  readonly interactive: RouteWeights;
  /** @default the interactive weights */
  readonly background?: RouteWeights;
  /** The fraction of every route's concurrency and tokens per minute the background lane may use. */
  readonly backgroundShare: number;
}

const weighted = (weights: RouteWeights) => Object.entries(weights).map(([route, weight]) => ({ route, weight }));

export function llmLanes({ interactive, background = interactive, backgroundShare }: LaneWeights): LlmSettings['lanes'] {
  return {
    interactive: { share: 1, routes: weighted(interactive) },
    background: { share: backgroundShare, routes: weighted(background) },
  };
}
