// Locally there is no CloudWatch to receive EMF, so the shared Metrics instance's output is redirected from stdout
// to a file in the data directory (one EMF document per line), keeping the terminal readable and the heartbeat
// metrics inspectable. The emitted documents are byte-for-byte what Lambda would print.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { metrics } from '../lambdas/observability.js';

export const METRICS_FILE = 'metrics.emf.jsonl';

export function redirectMetrics(dataDir: string): () => Promise<void> {
  const stream = createWriteStream(join(dataDir, METRICS_FILE), { flags: 'a' });
  // Powertools keeps its EMF writer in a private `console` field; replacing it is the documented-by-source way to
  // capture EMF without patching process.stdout for the whole process.
  (metrics as unknown as { console: { log: (line: string) => void } }).console = { log: (line) => stream.write(`${line}\n`) };
  return () => new Promise((resolve) => stream.end(resolve));
}
