// Every metric the runtime emits, declared once: name, unit, dimensions and meaning. Emitters (lambdas/observability.ts
// recorders), alarms and the dashboard (lib/), and the embedded platform's readers (local/) all take names from
// here, so a metric is renamed everywhere or nowhere, and no emitter picks its own unit or dimension.
import { MetricUnit } from '@aws-lambda-powertools/metrics';

/** Powertools Metrics namespace and its default `service` dimension, set on every metric below. */
export const METRICS_NAMESPACE = 'Headroom';
export const SERVICE_DIMENSION = { service: 'headroom' } as const;

export type MetricUnitName = (typeof MetricUnit)[keyof typeof MetricUnit];

export interface MetricDefinition {
  readonly name: string;
  readonly unit: MetricUnitName;
  /** Dimensions besides `service`: low-cardinality values only; tenant ids go in metadata, never here. */
  readonly dimensions: readonly string[];
  readonly meaning: string;
}

export const METRICS = {
  // Customer outcomes: what the heartbeat alarms watch.
  conversationCreated: {
    name: 'ConversationCreated',
    unit: MetricUnit.Count,
    dimensions: [],
    meaning: 'A committed conversation create (never a replay); the tenant in metadata.',
  },
  commentCreated: {
    name: 'CommentCreated',
    unit: MetricUnit.Count,
    dimensions: [],
    meaning: 'A committed comment create (never a replay); the tenant in metadata.',
  },
  canarySuccess: {
    name: 'HeartbeatSuccess',
    unit: MetricUnit.Count,
    dimensions: [],
    meaning: 'One per canary run: 1 when its round trip completed before the deadline, 0 otherwise.',
  },
  canaryRoundTripMs: {
    name: 'HeartbeatRoundTripMs',
    unit: MetricUnit.Milliseconds,
    dimensions: [],
    meaning: 'Canary create → applied downstream (searchable); published for successful runs only.',
  },
  canaryConversationsDeleted: {
    name: 'CanaryConversationsDeleted',
    unit: MetricUnit.Count,
    dimensions: [],
    meaning: 'Per canary cleanup sweep: the canary conversations past the retention it deleted.',
  },
  canaryCleanupFailed: {
    name: 'CanaryCleanupFailed',
    unit: MetricUnit.Count,
    dimensions: [],
    meaning: 'Per canary cleanup sweep: 1 when listing or deleting failed, 0 otherwise; the heartbeat is unaffected.',
  },

  // The async path.
  jobsOverflowed: {
    name: 'JobsOverflowed',
    unit: MetricUnit.Count,
    dimensions: ['tier'],
    meaning: 'Jobs of a group over its admission quota sent to the overflow queue; the group in metadata.',
  },
  moveChangesApplied: {
    name: 'MoveChangesApplied',
    unit: MetricUnit.Count,
    dimensions: [],
    meaning: 'Changes of moving tenants the move replicator applied to the other shard, per stream batch.',
  },

  // Tenancy and flags.
  placementRefused: {
    name: 'PlacementRefused',
    unit: MetricUnit.Count,
    dimensions: ['state'],
    meaning: 'A write refused by the placement marker (fenced, moved or a stale epoch) before it was retried.',
  },
  flagStoreStale: {
    name: 'FlagStoreStale',
    unit: MetricUnit.Count,
    dimensions: [],
    meaning: 'The flag store was unreachable and the last good copy of the flags was served.',
  },

  // Search and migrations.
  indexerLagSeconds: {
    name: 'IndexerLagSeconds',
    unit: MetricUnit.Seconds,
    dimensions: [],
    meaning: 'Commit → indexed, per change the indexer applied.',
  },
  shadowSearches: {
    name: 'ShadowSearches',
    unit: MetricUnit.Count,
    dimensions: ['candidate'],
    meaning: 'A search also run against a candidate generation during an index migration.',
  },
  shadowMismatches: {
    name: 'ShadowMismatches',
    unit: MetricUnit.Count,
    dimensions: ['candidate'],
    meaning: 'Per shadow search: 1 when the candidate generation answered differently from the control, 0 otherwise.',
  },
  shadowCandidateMs: {
    name: 'ShadowCandidateMs',
    unit: MetricUnit.Milliseconds,
    dimensions: ['candidate'],
    meaning: 'Time the candidate generation took to answer a shadow search.',
  },
  migrationTenantsTotal: {
    name: 'MigrationTenantsTotal',
    unit: MetricUnit.Count,
    dimensions: ['migration'],
    meaning: 'Tenants a search-index migration covers, reported with each progress step.',
  },
  migrationTenantsCutOver: {
    name: 'MigrationTenantsCutOver',
    unit: MetricUnit.Count,
    dimensions: ['migration'],
    meaning: 'Tenants of a search-index migration already reading the new generation.',
  },

  // LLM routing (route, lane and outcome values are bounded by configuration).
  llmAttempt: {
    name: 'LlmAttempt',
    unit: MetricUnit.Count,
    dimensions: ['route', 'outcome'],
    meaning: 'One attempt of a completion on a route, by outcome (ok or the error kind).',
  },
  llmLatency: {
    name: 'LlmLatency',
    unit: MetricUnit.Milliseconds,
    dimensions: ['route', 'lane'],
    meaning: 'Duration of a successful attempt.',
  },
  llmTimeToFirstToken: {
    name: 'LlmTimeToFirstToken',
    unit: MetricUnit.Milliseconds,
    dimensions: ['route', 'lane'],
    meaning: 'Time to the first streamed token of a successful attempt, when the provider streams.',
  },
  llmFailover: {
    name: 'LlmFailover',
    unit: MetricUnit.Count,
    dimensions: ['lane'],
    meaning: 'A request served by a route other than its first choice.',
  },
  llmShed: {
    name: 'LlmShed',
    unit: MetricUnit.Count,
    dimensions: ['lane'],
    meaning: 'A request refused without any attempt (lane capacity, open breakers, drained routes), to protect capacity.',
  },
  llmUnavailable: {
    name: 'LlmUnavailable',
    unit: MetricUnit.Count,
    dimensions: ['lane'],
    meaning: 'A request that no route it tried could complete.',
  },
  llmBreakerTransition: {
    name: 'LlmBreakerTransition',
    unit: MetricUnit.Count,
    dimensions: ['route', 'state'],
    meaning: "A route's circuit breaker changed state; `state` is the state it moved to.",
  },
  summaryShed: {
    name: 'SummaryShed',
    unit: MetricUnit.Count,
    dimensions: ['reason'],
    meaning: 'A due conversation summary skipped because the background lane was shed (`shed`) or failed (`failed`).',
  },

  // Derived-data repair (anti-entropy): per view, the tenant in metadata.
  derivedDataRepaired: {
    name: 'DerivedDataRepaired',
    unit: MetricUnit.Count,
    dimensions: ['view'],
    meaning: 'Derived items (search documents, usage tenant-minutes) of one tenant the reconciler repaired; the tenant in metadata.',
  },
  derivedDataDivergent: {
    name: 'DerivedDataDivergent',
    unit: MetricUnit.Count,
    dimensions: ['view'],
    meaning: 'Derived items of one tenant still differing from the source of truth after the repair; the tenant in metadata.',
  },
  derivedDataDivergencePersistent: {
    name: 'DerivedDataDivergencePersistent',
    unit: MetricUnit.Count,
    dimensions: ['view'],
    meaning: 'At the end of each repair pass: tenants left divergent by this pass and by the previous one (what pages).',
  },

  // Operations.
  releaseRolledBack: {
    name: 'ReleaseRolledBack',
    unit: MetricUnit.Count,
    dimensions: ['function'],
    meaning: 'One per alias the rollback action moved back to its previous version.',
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;
export type HeadroomMetric = (typeof METRICS)[MetricKey];
/** The metric's dimension values, by the names the catalog gives it. */
export type DimensionsOf<M extends MetricDefinition> = { readonly [D in M['dimensions'][number]]: string };
