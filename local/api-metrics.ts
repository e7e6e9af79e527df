// API Gateway publishes Count, 4XXError, 5XXError and Latency per route; locally the bridge reports each answered
// request here instead, into the same registry the EMF metrics go to, so the heartbeat monitor can tell failing
// writes from absent ones and the ops console can show latency per route.
import type { RouteObservation } from './api-gateway-bridge.js';
import type { MetricsRegistry } from './metrics-registry.js';

/** Milliseconds per answered request, dimensions `route` (`POST /v1/conversations`) and `statusClass` (`2xx`…`5xx`). */
export const API_LATENCY_METRIC = 'ApiLatency';

export const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`;

export function recordApiResponses(registry: MetricsRegistry): (observation: RouteObservation) => void {
  return ({ route, status, durationMs }) => registry.record(API_LATENCY_METRIC, durationMs, { route, statusClass: statusClass(status) });
}
