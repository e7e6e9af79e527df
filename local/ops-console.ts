// The ops console: `GET /_ops` serves a static page (plain HTML + JS, charts drawn as inline SVG: no build step, no
// CDN, the machine may be offline) that polls `GET /_ops/metrics`, the same operations snapshot `headroom status`
// prints. It is served by the platform's HTTP server, which listens on 127.0.0.1 only; the Host check below keeps a
// web page from another origin from reading it through DNS rebinding, so the admin token never has to reach a browser.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OperationsSnapshot } from '../lambdas/core/operations/operations-snapshot.js';
import type { MetricsRegistry } from './metrics-registry.js';
import { QUEUE_DEPTH_METRIC } from './operations-snapshot.js';
import type { QueueDepth } from '../lambdas/core/operations/operations-snapshot.js';

export interface OpsConsoleOptions {
  readonly snapshot: () => Promise<OperationsSnapshot>;
  readonly registry: MetricsRegistry;
  readonly queues: () => Promise<readonly QueueDepth[]>;
  /** How often queue depth is sampled into the registry (SQS reports depth to CloudWatch each minute). @default 5000 */
  readonly sampleIntervalMs?: number;
}

export interface OpsConsole {
  /** Answers `/_ops` requests; false for anything else, which the API bridge then handles. */
  serve(request: IncomingMessage, response: ServerResponse): boolean;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const PAGE = readFileSync(join(here, 'ops-console.html'));
const SCRIPT = readFileSync(join(here, 'ops-console-browser.js'));

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
};

/** Only names that can only mean this machine; anything else is a page on another origin talking to us. */
const LOCAL_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

function reply(response: ServerResponse, status: number, type: string, body: Buffer | string): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(bytes.length) });
  response.end(bytes);
}

export function createOpsConsole(options: OpsConsoleOptions): OpsConsole {
  const sample = async () => {
    for (const queue of await options.queues())
      options.registry.record(QUEUE_DEPTH_METRIC, queue.visible + queue.inFlight, { queue: queue.queue });
  };
  const sampler = setInterval(() => void sample().catch(() => undefined), options.sampleIntervalMs ?? 5000);
  sampler.unref();
  void sample().catch(() => undefined);

  return {
    serve(request, response) {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      if (path !== '/_ops' && !path.startsWith('/_ops/')) return false;
      if (!LOCAL_HOST.test(request.headers.host ?? '')) {
        reply(response, 403, 'text/plain; charset=utf-8', 'The ops console answers only to 127.0.0.1 or localhost.\n');
        return true;
      }
      if (request.method !== 'GET') {
        reply(response, 405, 'text/plain; charset=utf-8', 'The ops console is read-only.\n');
        return true;
      }
      if (path === '/_ops' || path === '/_ops/') reply(response, 200, 'text/html; charset=utf-8', PAGE);
      else if (path === '/_ops/console.js') reply(response, 200, 'text/javascript; charset=utf-8', SCRIPT);
      else if (path === '/_ops/metrics')
        options
          .snapshot()
          .then((snapshot) => reply(response, 200, 'application/json', JSON.stringify(snapshot)))
          .catch((error: unknown) => {
            console.error('[ops] snapshot failed:', error);
            reply(response, 500, 'application/json', JSON.stringify({ error: 'snapshot failed; see the platform log' }));
          });
      else reply(response, 404, 'text/plain; charset=utf-8', 'Try /_ops or /_ops/metrics.\n');
      return true;
    },
    stop: async () => clearInterval(sampler),
  };
}
