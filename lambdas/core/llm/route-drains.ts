// Operator drains: `headroom llm drain <route>` takes a route out of rotation on every instance, not just the one
// that served the admin call, so the drain is stored and each instance re-reads it at most every `ttlSeconds`.
// If the store is unreachable the last known drains stay in force: an unreadable table must not undrain a route.
// Only configured routes can be drained, and a name that is not one is answered with the names that are.
import { Problem } from '../problems.js';
import type { LlmSettings, RouteId } from './llm-settings.js';
import type { Clock } from '../ports.js';

export interface RouteDrain {
  readonly route: RouteId;
  readonly drained: boolean;
  readonly at: string;
  readonly by: string;
  readonly reason?: string;
}

export interface RouteDrainStore {
  list(): Promise<RouteDrain[]>;
  put(drain: RouteDrain): Promise<void>;
}

export interface RouteDrains {
  /** The routes drained now, as this instance last read them. */
  current(): Promise<ReadonlySet<RouteId>>;
  set(route: RouteId, drained: boolean, by: string, reason?: string): Promise<RouteDrain>;
}

export function createRouteDrains(store: RouteDrainStore, settings: LlmSettings, clock: Clock, ttlSeconds: number): RouteDrains {
  let drained: ReadonlySet<RouteId> = new Set();
  let nextRead = 0;
  let reading: Promise<void> | undefined;
  const read = async () => {
    const at = clock.now().getTime();
    try {
      drained = new Set((await store.list()).filter((drain) => drain.drained).map((drain) => drain.route));
      nextRead = at + ttlSeconds * 1000;
    } catch {
      nextRead = at + Math.min(5, ttlSeconds) * 1000;
    }
  };
  return {
    async current() {
      if (clock.now().getTime() >= nextRead) {
        reading ??= read().finally(() => (reading = undefined));
        await reading;
      }
      return drained;
    },
    async set(route, isDrained, by, reason) {
      if (!settings.routes[route]) {
        const known = Object.keys(settings.routes).join(', ');
        throw new Problem(
          'not-found',
          `There is no LLM route named ${route}; the routes are ${known} (\`headroom llm routes\` shows their state).`,
        );
      }
      const drain: RouteDrain = { route, drained: isDrained, at: clock.now().toISOString(), by, ...(reason ? { reason } : {}) };
      await store.put(drain);
      nextRead = 0;
      return drain;
    },
  };
}
