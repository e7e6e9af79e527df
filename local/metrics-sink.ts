// Locally there is no CloudWatch to receive EMF, so the shared Metrics instance's output is redirected from stdout
// to a file in the data directory (one EMF document per line), keeping the terminal readable and the heartbeat
// metrics inspectable. The emitted documents are byte-for-byte what Lambda would print.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { metrics } from '../lambdas/observability.js';

export const METRICS_FILE = 'metrics.emf.jsonl';

/** Sends every EMF document the shared Metrics instance flushes to `sink` instead of stdout. */
export function captureMetrics(sink: (emfLine: string) => void): void {
  // Powertools keeps its EMF writer in a private `console` field; replacing it captures EMF without patching
  // process.stdout for the whole process.
  (metrics as unknown as { console: { log: (line: string) => void } }).console = { log: sink };
}

export function redirectMetrics(dataDir: string): () => Promise<void> {
  const stream = createWriteStream(join(dataDir, METRICS_FILE), { flags: 'a' });
  captureMetrics((line) => stream.write(`${line}\n`));
  return () => new Promise((resolve) => stream.end(resolve));
}
