// Locally there is no CloudWatch to receive EMF, so the shared Metrics instance's output is redirected from stdout
// to a file in the data directory (one EMF document per line), keeping the terminal readable and the heartbeat
// metrics inspectable. The emitted documents are byte-for-byte what Lambda would print; each one is also parsed into
// the in-process metrics registry that the heartbeat monitor and the ops console read. A handler bundle carries its
// own Metrics instance and prints to stdout, as on Lambda: `npm start`'s output routing (local/platform-log.ts) hands
// those documents to the same sink.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { metrics } from '../lambdas/observability.js';
import type { MetricsRegistry } from './metrics-registry.js';

export const METRICS_FILE = 'metrics.emf.jsonl';

type EmfWriter = { console: { log: (line: string) => void } };
const originalSingleMetric = metrics.singleMetric.bind(metrics);

/** Sends every EMF document the shared Metrics instance flushes to `sink` instead of stdout. */
export function captureMetrics(sink: (emfLine: string) => void): void {
  // Powertools keeps its EMF writer in a private `console` field; replacing it captures EMF without patching
  // process.stdout for the whole process.
  (metrics as unknown as EmfWriter).console = { log: sink };
  // A metric with dimensions of its own (and the embedded canary's outcome) is a single metric: a fresh Metrics
  // instance with its own stdout writer, made per emit by lambdas/observability.ts through this very method.
  metrics.singleMetric = (): Metrics => {
    const single = originalSingleMetric();
    (single as unknown as EmfWriter).console = { log: sink };
    return single;
  };
}

export interface MetricsSink {
  /** Takes one EMF document printed elsewhere (by a handler bundle). */
  record(emfLine: string): void;
  close(): Promise<void>;
}

/** Appends every EMF document to the data directory's metrics file and, when given, feeds it to `registry`. */
export function redirectMetrics(dataDir: string, registry?: MetricsRegistry): MetricsSink {
  const stream = createWriteStream(join(dataDir, METRICS_FILE), { flags: 'a' });
  const record = (line: string) => {
    stream.write(`${line}\n`);
    registry?.recordEmf(line);
  };
  captureMetrics(record);
  return { record, close: () => new Promise((resolve) => stream.end(resolve)) };
}
