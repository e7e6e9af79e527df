// The recorders emit exactly what the catalog declares: its names (which alarms and dashboards watch), its units,
// and its dimensions (no more, no fewer), a metric with dimensions of its own as its own EMF document.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CanaryOutcome } from '../../lambdas/core/operations/heartbeat-canary.js';
import { emit, metrics } from '../../lambdas/observability.js';
import { METRICS, METRICS_NAMESPACE, SERVICE_DIMENSION } from '../../lambdas/telemetry.js';

interface EmfDocument {
  readonly _aws: { readonly CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  readonly [key: string]: unknown;
}

type EmfWriter = { console: { log: (line: string) => void } };
const printed: EmfDocument[] = [];
const originalSingleMetric = metrics.singleMetric.bind(metrics);
const sink = { log: (line: string) => printed.push(JSON.parse(line) as EmfDocument) };

beforeEach(() => {
  printed.length = 0;
  (metrics as unknown as EmfWriter).console = sink;
  metrics.singleMetric = () => {
    const single = originalSingleMetric();
    (single as unknown as EmfWriter).console = sink;
    return single;
  };
});
afterEach(() => {
  metrics.clearMetrics();
  metrics.singleMetric = originalSingleMetric;
});

const succeeded: CanaryOutcome = {
  ok: true,
  nonce: 'n0nce123',
  conversationId: 'c',
  commentId: 'd',
  roundTripMs: 42,
  searchPolls: 1,
  timings: {},
};
const failed: CanaryOutcome = {
  ok: false,
  nonce: 'n0nce123',
  failedStage: 'add-comment',
  reason: 'boom',
  elapsedMs: 5,
  searchPolls: 0,
  timings: {},
};

/** Every recorder once (both outcomes where a recorder branches). */
function emitEverything(): void {
  emit.conversationCreated('acme');
  emit.commentCreated('acme');
  emit.canaryRun(succeeded);
  emit.canaryRunNow(succeeded);
  emit.canaryRunNow(failed);
  emit.canaryCleanup({ status: 'swept', deleted: 2, pagesRead: 1, more: false });
  emit.canaryCleanupNow({ status: 'failed', deleted: 0, pagesRead: 0, reason: 'boom' });
  emit.jobsOverflowed('free', 'acme#conv-1', 7);
  emit.moveChangesApplied(3);
  emit.placementRefused('fenced');
  emit.flagStoreStale();
  emit.indexerLag(2);
  emit.shadowSearch('g2', false, 12);
  emit.migrationProgress('m-1', 10, 4);
  emit.llmAttempt('primary', 'interactive', 'ok', 100, 20);
  emit.llmFailover('interactive');
  emit.llmFailed('background', true);
  emit.llmFailed('background', false);
  emit.llmBreakerTransition('primary', 'open');
  emit.summaryShed('shed');
  emit.releaseRolledBack('headroom-api-create-conversation');
  emit.derivedDataChecked('search', 'acme', 2, 1);
  emit.derivedDataPassCompleted('usage', 0);
  metrics.publishStoredMetrics();
}

const emitted = () =>
  printed.flatMap((document) =>
    document._aws.CloudWatchMetrics.flatMap((directive) =>
      directive.Metrics.map((metric) => ({ document, namespace: directive.Namespace, dimensions: directive.Dimensions, ...metric })),
    ),
  );

describe('the telemetry catalog', () => {
  it('keeps the names, namespace and service the alarms and dashboard are built on', () => {
    expect(METRICS_NAMESPACE).toBe('Headroom');
    expect(SERVICE_DIMENSION).toEqual({ service: 'headroom' });
    // Renaming one orphans its alarm, its dashboard widget and its history: change these only together with them.
    expect(Object.fromEntries(Object.entries(METRICS).map(([key, metric]) => [key, metric.name]))).toEqual({
      conversationCreated: 'ConversationCreated',
      commentCreated: 'CommentCreated',
      canarySuccess: 'HeartbeatSuccess',
      canaryRoundTripMs: 'HeartbeatRoundTripMs',
      canaryConversationsDeleted: 'CanaryConversationsDeleted',
      canaryCleanupFailed: 'CanaryCleanupFailed',
      jobsOverflowed: 'JobsOverflowed',
      moveChangesApplied: 'MoveChangesApplied',
      placementRefused: 'PlacementRefused',
      flagStoreStale: 'FlagStoreStale',
      indexerLagSeconds: 'IndexerLagSeconds',
      shadowSearches: 'ShadowSearches',
      shadowMismatches: 'ShadowMismatches',
      shadowCandidateMs: 'ShadowCandidateMs',
      migrationTenantsTotal: 'MigrationTenantsTotal',
      migrationTenantsCutOver: 'MigrationTenantsCutOver',
      llmAttempt: 'LlmAttempt',
      llmLatency: 'LlmLatency',
      llmTimeToFirstToken: 'LlmTimeToFirstToken',
      llmFailover: 'LlmFailover',
      llmShed: 'LlmShed',
      llmUnavailable: 'LlmUnavailable',
      llmBreakerTransition: 'LlmBreakerTransition',
      summaryShed: 'SummaryShed',
      releaseRolledBack: 'ReleaseRolledBack',
      derivedDataRepaired: 'DerivedDataRepaired',
      derivedDataDivergent: 'DerivedDataDivergent',
      derivedDataDivergencePersistent: 'DerivedDataDivergencePersistent',
    });
    const names = Object.values(METRICS).map((metric) => metric.name);
    expect(new Set(names).size, 'one entry per name').toBe(names.length);
  });

  it('every metric of the catalog has a recorder, and recorders emit nothing outside the catalog', () => {
    emitEverything();
    const names = new Set(emitted().map((metric) => metric.Name));
    expect([...names].sort()).toEqual(
      Object.values(METRICS)
        .map((metric) => metric.name)
        .sort(),
    );
  });

  it('every emitted metric carries its catalog unit and exactly its catalog dimensions besides service', () => {
    emitEverything();
    const byName = new Map<string, (typeof METRICS)[keyof typeof METRICS]>(Object.values(METRICS).map((metric) => [metric.name, metric]));
    for (const metric of emitted()) {
      const declared = byName.get(metric.Name)!;
      expect(metric.namespace).toBe(METRICS_NAMESPACE);
      expect(metric.Unit, metric.Name).toBe(declared.unit);
      expect(metric.dimensions, metric.Name).toEqual([['service', ...declared.dimensions]]);
      for (const dimension of declared.dimensions) expect(typeof metric.document[dimension], `${metric.Name} ${dimension}`).toBe('string');
    }
  });

  it('a metric with dimensions is its own document, so each of several values keeps its dimensions', () => {
    emit.shadowSearch('g2', false, 12);
    expect(printed).toHaveLength(3);
    for (const document of printed) expect(document).toMatchObject({ candidate: 'g2', service: 'headroom' });
    expect(printed.map((document) => document._aws.CloudWatchMetrics[0]!.Metrics.map((metric) => metric.Name))).toEqual([
      [METRICS.shadowSearches.name],
      [METRICS.shadowMismatches.name],
      [METRICS.shadowCandidateMs.name],
    ]);
  });

  it('invocation metrics wait for the invocation flush, with tenant and nonce as metadata only', () => {
    emit.conversationCreated('acme');
    emit.canaryRun(failed);
    expect(printed).toHaveLength(0);
    metrics.publishStoredMetrics();
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatchObject({ tenantId: 'acme', nonce: 'n0nce123', ConversationCreated: 1, HeartbeatSuccess: 0 });
    // A failed run has no round trip to publish.
    expect(printed[0]).not.toHaveProperty('HeartbeatRoundTripMs');
    expect(printed[0]!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service']]);
  });

  it('a canary run that did not sweep publishes no cleanup metrics, a failed sweep counts one failure', () => {
    emit.canaryCleanup({ status: 'not-due', nextSweepAt: '2026-11-26T03:10:00.000Z' });
    emit.canaryCleanupNow({ status: 'not-due', nextSweepAt: '2026-11-26T03:10:00.000Z' });
    metrics.publishStoredMetrics();
    expect(emitted()).toEqual([]);
    emit.canaryCleanup({ status: 'failed', deleted: 3, pagesRead: 2, reason: 'boom' });
    metrics.publishStoredMetrics();
    expect(printed.at(-1)).toMatchObject({ CanaryConversationsDeleted: 3, CanaryCleanupFailed: 1 });
  });
});
