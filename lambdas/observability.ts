// One Logger and one Metrics instance per function instance, shared by handlers and middlewares, as the
// Powertools guidance recommends: one set of persistent keys, one EMF flush per invocation. Metrics are emitted only
// through the recorders below, built from the catalog (lambdas/telemetry.ts), so an emit site says what happened and
// never picks a name, unit or dimension: a metric with dimensions of its own is always its own EMF document.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { CanaryCleanupOutcome } from './core/operations/canary-cleanup.js';
import type { CanaryOutcome } from './core/operations/heartbeat-canary.js';
import type { OutcomeRecorder } from './core/ports.js';
import { METRICS, METRICS_NAMESPACE, SERVICE_DIMENSION, type DimensionsOf, type MetricDefinition } from './telemetry.js';

export const SERVICE_NAME = SERVICE_DIMENSION.service;

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: SERVICE_NAME,
  // A read that records no metric is normal; keep Powertools' "no metrics" warning out of every GET's log.
  logger: logger.createChild({ logLevel: 'ERROR' }),
});

/** High-cardinality context (tenant, nonce, group): searchable in the logs, never a dimension. */
type Metadata = Readonly<Record<string, string>>;

/**
 * Buffered in the shared instance and flushed with the invocation (the logMetrics middleware), alongside the
 * invocation's other metrics. Only for metrics with no dimensions of their own, and only inside an invocation.
 */
function withInvocation(metric: MetricDefinition & { readonly dimensions: readonly [] }, value: number, metadata: Metadata = {}): void {
  for (const [key, text] of Object.entries(metadata)) metrics.addMetadata(key, text);
  metrics.addMetric(metric.name, metric.unit, value);
}

/**
 * Its own EMF document, printed now. Powertools publishes a single metric at its first value and then clears its
 * dimensions, so every metric gets a fresh one: a second value on the same instance would lose its dimensions.
 * `metrics.singleMetric` is looked up per call: the embedded platform's sink (local/metrics-sink.ts) replaces it.
 */
function alone<M extends MetricDefinition>(metric: M, value: number, dimensions: DimensionsOf<M>, metadata: Metadata = {}): void {
  const single = metrics.singleMetric();
  const values = dimensions as Readonly<Record<string, string>>;
  if (metric.dimensions.length > 0) single.addDimensions(Object.fromEntries(metric.dimensions.map((name) => [name, values[name] ?? ''])));
  for (const [key, text] of Object.entries(metadata)) single.addMetadata(key, text);
  single.addMetric(metric.name, metric.unit, value);
}

/** What happened, as metrics: one recorder per event the runtime reports. */
export const emit = {
  conversationCreated: (tenantId: string) => withInvocation(METRICS.conversationCreated, 1, { tenantId }),
  commentCreated: (tenantId: string) => withInvocation(METRICS.commentCreated, 1, { tenantId }),

  /** A canary run, flushed with the scheduled invocation that ran it. */
  canaryRun(outcome: CanaryOutcome): void {
    withInvocation(METRICS.canarySuccess, outcome.ok ? 1 : 0, { nonce: outcome.nonce });
    // A failed run has no round trip: publishing its elapsed time would make a dead write path look merely slow.
    if (outcome.ok) withInvocation(METRICS.canaryRoundTripMs, outcome.roundTripMs);
  },
  /** A canary run published at once: the embedded platform's canary loop runs outside any invocation. */
  canaryRunNow(outcome: CanaryOutcome): void {
    alone(
      METRICS.canarySuccess,
      outcome.ok ? 1 : 0,
      {},
      outcome.ok ? { nonce: outcome.nonce } : { nonce: outcome.nonce, failedStage: outcome.failedStage },
    );
    if (outcome.ok) alone(METRICS.canaryRoundTripMs, outcome.roundTripMs, {}, { nonce: outcome.nonce });
  },
  /** A canary cleanup sweep, flushed with the invocation; a run that did not sweep publishes nothing. */
  canaryCleanup(outcome: CanaryCleanupOutcome): void {
    if (outcome.status === 'not-due') return;
    withInvocation(METRICS.canaryConversationsDeleted, outcome.deleted);
    withInvocation(METRICS.canaryCleanupFailed, outcome.status === 'failed' ? 1 : 0);
  },
  /** A canary cleanup sweep published at once (the embedded platform's canary loop). */
  canaryCleanupNow(outcome: CanaryCleanupOutcome): void {
    if (outcome.status === 'not-due') return;
    alone(METRICS.canaryConversationsDeleted, outcome.deleted, {});
    alone(METRICS.canaryCleanupFailed, outcome.status === 'failed' ? 1 : 0, {});
  },

  jobsOverflowed: (tier: string, group: string, jobs: number) => alone(METRICS.jobsOverflowed, jobs, { tier }, { group }),
  // The move replicator's invocations are not wrapped in logMetrics: nothing would flush a buffered count.
  moveChangesApplied: (applied: number) => alone(METRICS.moveChangesApplied, applied, {}),

  placementRefused: (state: string) => alone(METRICS.placementRefused, 1, { state }),
  flagStoreStale: () => withInvocation(METRICS.flagStoreStale, 1),

  indexerLag: (seconds: number) => withInvocation(METRICS.indexerLagSeconds, Math.max(0, seconds)),
  shadowSearch(candidate: string, matched: boolean, candidateMs: number): void {
    alone(METRICS.shadowSearches, 1, { candidate });
    alone(METRICS.shadowMismatches, matched ? 0 : 1, { candidate });
    alone(METRICS.shadowCandidateMs, candidateMs, { candidate });
  },
  migrationProgress(migration: string, tenants: number, cutOver: number): void {
    alone(METRICS.migrationTenantsTotal, tenants, { migration });
    alone(METRICS.migrationTenantsCutOver, cutOver, { migration });
  },

  /** One attempt on a route; only a successful one has a latency worth plotting. */
  llmAttempt(route: string, lane: string, outcome: string, ms: number, firstTokenMs?: number): void {
    alone(METRICS.llmAttempt, 1, { route, outcome });
    if (outcome !== 'ok') return;
    alone(METRICS.llmLatency, ms, { route, lane });
    if (firstTokenMs !== undefined) alone(METRICS.llmTimeToFirstToken, firstTokenMs, { route, lane });
  },
  llmFailover: (lane: string) => alone(METRICS.llmFailover, 1, { lane }),
  /** A request no route completed: shed (nothing attempted) or unavailable (every attempt failed). */
  llmFailed: (lane: string, shed: boolean) => alone(shed ? METRICS.llmShed : METRICS.llmUnavailable, 1, { lane }),
  llmBreakerTransition: (route: string, to: string) => alone(METRICS.llmBreakerTransition, 1, { route, state: to }),
  summaryShed: (reason: string) => alone(METRICS.summaryShed, 1, { reason }),

  /** One tenant's outcome in one view of a repair pass (only tenants where something differed). */
  derivedDataChecked(view: string, tenantId: string, repaired: number, divergent: number): void {
    alone(METRICS.derivedDataRepaired, repaired, { view }, { tenantId });
    alone(METRICS.derivedDataDivergent, divergent, { view }, { tenantId });
  },
  derivedDataPassCompleted: (view: string, persistentTenants: number) =>
    alone(METRICS.derivedDataDivergencePersistent, persistentTenants, { view }),

  releaseRolledBack: (functionName: string) => alone(METRICS.releaseRolledBack, 1, { function: functionName }),
};

/** Core's port for heartbeat outcomes: one count per committed create, the tenant in metadata only. */
export const heartbeatMetrics: OutcomeRecorder = {
  conversationCreated: emit.conversationCreated,
  commentCreated: emit.commentCreated,
};
