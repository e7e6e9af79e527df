// One Logger and one Metrics instance per function instance, shared by handlers and middlewares, as the
// Powertools guidance recommends: one set of persistent keys, one EMF flush per invocation.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { OutcomeRecorder } from './core/ports.js';

export const SERVICE_NAME = 'headroom';
export const METRICS_NAMESPACE = 'Headroom';

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: SERVICE_NAME,
  // A read that records no metric is normal; keep Powertools' "no metrics" warning out of every GET's log.
  logger: logger.createChild({ logLevel: 'ERROR' }),
});

/** Customer-outcome metrics that on-call is paged on. Low cardinality: tenant ids never become dimensions. */
export const HEARTBEAT = {
  conversationCreated: 'ConversationCreated',
  commentCreated: 'CommentCreated',
} as const;

/** Heartbeat outcomes as EMF: one count per committed create, the tenant in metadata only. */
export const heartbeatMetrics: OutcomeRecorder = {
  conversationCreated(tenantId) {
    metrics.addMetadata('tenantId', tenantId);
    metrics.addMetric(HEARTBEAT.conversationCreated, MetricUnit.Count, 1);
  },
  commentCreated(tenantId) {
    metrics.addMetadata('tenantId', tenantId);
    metrics.addMetric(HEARTBEAT.commentCreated, MetricUnit.Count, 1);
  },
};
