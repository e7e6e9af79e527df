// One Logger and one Metrics instance per function instance, shared by handlers and middlewares, as the
// Powertools guidance recommends: one set of persistent keys, one EMF flush per invocation.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { OutcomeRecorder } from './core/ports.js';
import { HEARTBEAT_METRICS, METRICS_NAMESPACE, SERVICE_DIMENSION } from './operations-contract.js';

export const SERVICE_NAME = SERVICE_DIMENSION.service;

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: SERVICE_NAME,
  // A read that records no metric is normal; keep Powertools' "no metrics" warning out of every GET's log.
  logger: logger.createChild({ logLevel: 'ERROR' }),
});

/** Heartbeat outcomes as EMF (HEARTBEAT_METRICS): one count per committed create, the tenant in metadata only. */
export const heartbeatMetrics: OutcomeRecorder = {
  conversationCreated(tenantId) {
    metrics.addMetadata('tenantId', tenantId);
    metrics.addMetric(HEARTBEAT_METRICS.conversationCreated, MetricUnit.Count, 1);
  },
  commentCreated(tenantId) {
    metrics.addMetadata('tenantId', tenantId);
    metrics.addMetric(HEARTBEAT_METRICS.commentCreated, MetricUnit.Count, 1);
  },
};
