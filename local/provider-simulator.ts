// A model provider simulator for the embedded platform and load tests: one HTTP server playing any number of
// named providers, each speaking the OpenAI chat completions API (optionally streamed) and the Bedrock Converse
// API, with a script for its behaviour: latency distribution, time to first token, error and 429 rates, an
// outage (errors or hung connections), broken output, and a concurrency limit past which requests queue.
// Scripts change at run time, programmatically or through `PUT /_control/providers/<name>`. The Bedrock face
// listens on a second, HTTP/2 cleartext port, because the Bedrock Runtime client speaks only HTTP/2.
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2Session } from 'node:http2';

export interface ProviderScript {
  /** Time to the full answer: log-normal with this median and 99th percentile. */
  readonly latency: { readonly p50Ms: number; readonly p99Ms: number };
  /** Share of the latency spent before the first token (streaming). */
  readonly firstTokenShare: number;
  /** Share of requests answered 500. */
  readonly errorRate: number;
  /** Share of requests answered 429 with Retry-After. */
  readonly throttleRate: number;
  /** `error`: every request gets 503; `hang`: requests are accepted and never answered. */
  readonly outage: 'none' | 'error' | 'hang';
  /** What a successful answer contains. */
  readonly output: 'normal' | 'garbage' | 'empty' | 'truncated' | 'overlong';
  /** Requests served at once; later ones wait in line (their wait adds to their latency). */
  readonly capacity: number;
}

export const HEALTHY: ProviderScript = {
  latency: { p50Ms: 60, p99Ms: 180 },
  firstTokenShare: 0.3,
  errorRate: 0,
  throttleRate: 0,
  outage: 'none',
  output: 'normal',
  capacity: 64,
};

export interface ProviderStats {
  readonly requests: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly inFlight: number;
  readonly queued: number;
}

export interface RecordedRequest {
  readonly api: 'openai' | 'bedrock';
  readonly model: string;
  readonly messages: readonly { readonly role: string; readonly content: string }[];
}

export interface ProviderSimulator {
  readonly url: string;
  /** Base URL for an OpenAI-compatible client (`…/<name>/v1`). */
  openAiBaseUrl(name: string): string;
  /** Endpoint override for a Bedrock Runtime client. */
  bedrockEndpoint(name: string): string;
  script(name: string): ProviderScript;
  /** Changes part of a provider's script from now on (in-flight requests keep their old fate). */
  set(name: string, patch: Partial<ProviderScript>): ProviderScript;
  reset(name: string): ProviderScript;
  stats(name: string): ProviderStats;
  /** The last request a provider received (to check what a model was really sent). */
  lastRequest(name: string): RecordedRequest | undefined;
  stop(): Promise<void>;
}

export interface ProviderSimulatorOptions {
  /** Provider names and their initial scripts (missing fields from HEALTHY). */
  readonly providers: Readonly<Record<string, Partial<ProviderScript>>>;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Uniform [0, 1) source; a seeded one makes a run repeatable. */
  readonly random?: () => number;
}

interface ProviderState {
  script: ProviderScript;
  requests: number;
  byStatus: Record<string, number>;
  inFlight: number;
  waiting: (() => void)[];
  last?: RecordedRequest;
}

function logNormal(random: () => number, { p50Ms, p99Ms }: ProviderScript['latency']): number {
  const sigma = Math.log(Math.max(p99Ms, p50Ms) / p50Ms) / 2.326;
  const u = Math.max(random(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return p50Ms * Math.exp(sigma * z);
}

/** A plausible reply built from the conversation the prompt quotes, so local runs show something sensible. */
function replyText(messages: RecordedRequest['messages']): string {
  const user = [...messages].reverse().find((message) => message.role === 'user')?.content ?? '';
  const quoted = /<conversation>\n([\s\S]*)\n<\/conversation>/.exec(user)?.[1];
  let subject = 'your request';
  try {
    const parsed = quoted ? (JSON.parse(quoted) as { subject?: unknown }) : {};
    if (typeof parsed.subject === 'string') subject = `"${parsed.subject}"`;
  } catch {
    // Not our prompt shape: answer generically.
  }
  return user.startsWith('Summarize')
    ? `The customer wrote about ${subject}. The team has replied and the issue is still being worked on.`
    : `Thanks for getting in touch about ${subject}. We are looking into it now and will update you here as soon as we know more.`;
}

const estimateTokens = (text: string) => Math.ceil(text.length / 4);

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

export async function startProviderSimulator(options: ProviderSimulatorOptions): Promise<ProviderSimulator> {
  const random = options.random ?? Math.random;
  const providers = new Map<string, ProviderState>(
    Object.entries(options.providers).map(([name, script]) => [
      name,
      { script: { ...HEALTHY, ...script }, requests: 0, byStatus: {}, inFlight: 0, waiting: [] },
    ]),
  );
  const state = (name: string) => {
    const found = providers.get(name);
    if (!found) throw new Error(`no simulated provider named ${name}`);
    return found;
  };
  const count = (provider: ProviderState, status: number | string) => {
    provider.byStatus[status] = (provider.byStatus[status] ?? 0) + 1;
  };

  async function withCapacity<T>(provider: ProviderState, run: () => Promise<T>): Promise<T> {
    if (provider.inFlight >= provider.script.capacity) await new Promise<void>((resolve) => provider.waiting.push(resolve));
    provider.inFlight++;
    try {
      return await run();
    } finally {
      provider.inFlight--;
      provider.waiting.shift()?.();
    }
  }

  async function serveCompletion(
    provider: ProviderState,
    api: RecordedRequest['api'],
    body: Record<string, unknown>,
    request: IncomingMessage,
    response: ServerResponse,
  ) {
    const messages = (api === 'openai' ? (body.messages as RecordedRequest['messages']) : bedrockMessages(body)) ?? [];
    const model = String(body.model ?? '');
    provider.requests++;
    provider.last = { api, model, messages };
    const script = provider.script;
    let gone = false;
    request.on('close', () => (gone = true));
    response.on('close', () => (gone = true));

    if (script.outage === 'hang') {
      count(provider, 'hang');
      return; // Never answered: the caller's deadline has to end it.
    }
    if (script.outage === 'error') {
      count(provider, 503);
      return sendError(response, api, 503, 'ServiceUnavailableException', 'the simulated provider is down');
    }
    const roll = random();
    if (roll < script.throttleRate) {
      count(provider, 429);
      return sendError(response, api, 429, 'ThrottlingException', 'too many requests (simulated)', { 'retry-after': '1' });
    }
    if (roll < script.throttleRate + script.errorRate) {
      count(provider, 500);
      return sendError(response, api, 500, 'InternalServerException', 'simulated server error');
    }

    await withCapacity(provider, async () => {
      const latency = logNormal(random, script.latency);
      const firstToken = latency * script.firstTokenShare;
      const prompt = messages.map((message) => message.content).join('\n');
      const text = script.output === 'empty' ? '' : script.output === 'overlong' ? replyText(messages).repeat(400) : replyText(messages);
      const usage = { input: estimateTokens(prompt), output: estimateTokens(text) };
      const streamed = api === 'openai' && body.stream === true;
      if (!streamed) {
        await sleep(latency);
        if (gone) return;
        count(provider, 200);
        if (script.output === 'garbage') {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end('<html>502 upstream garbage');
          return;
        }
        const stop = script.output === 'truncated' ? 'length' : 'stop';
        if (api === 'openai') {
          sendJson(response, 200, {
            id: `sim-${provider.requests}`,
            object: 'chat.completion',
            model,
            choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: stop }],
            usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
          });
        } else {
          sendJson(response, 200, {
            output: { message: { role: 'assistant', content: [{ text }] } },
            stopReason: stop === 'length' ? 'max_tokens' : 'end_turn',
            usage: { inputTokens: usage.input, outputTokens: usage.output, totalTokens: usage.input + usage.output },
            metrics: { latencyMs: Math.round(latency) },
          });
        }
        return;
      }
      await sleep(firstToken);
      if (gone) return;
      count(provider, 200);
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      if (script.output === 'garbage') {
        response.end('data: {"choices": [{"delta": {"content": "Hel\n\n');
        return;
      }
      const pieces = text.length === 0 ? [] : (text.match(/.{1,48}/gs) ?? [text]);
      const chunk = (delta: Record<string, unknown>, finish: string | null) =>
        `data: ${JSON.stringify({ id: `sim-${provider.requests}`, object: 'chat.completion.chunk', model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      const gap = pieces.length > 1 ? (latency - firstToken) / (pieces.length - 1) : 0;
      for (const [index, piece] of pieces.entries()) {
        if (index > 0 && gap >= 1) await sleep(gap);
        if (gone) return;
        response.write(chunk({ content: piece }, null));
        if (script.output === 'truncated' && index >= pieces.length / 2) {
          response.destroy(); // Cut off mid-answer: no finish reason, no [DONE].
          return;
        }
      }
      response.write(chunk({}, 'stop'));
      response.write(
        `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } })}\n\n`,
      );
      response.end('data: [DONE]\n\n');
    });
  }

  function sendError(
    response: ServerResponse,
    api: RecordedRequest['api'],
    status: number,
    type: string,
    message: string,
    headers: Record<string, string> = {},
  ) {
    if (api === 'openai') sendJson(response, status, { error: { message, type } }, headers);
    else
      sendJson(
        response,
        status,
        { message },
        { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, ...headers },
      );
  }

  async function control(
    method: string,
    name: string | undefined,
    action: string | undefined,
    request: IncomingMessage,
    response: ServerResponse,
  ) {
    if (!name && method === 'GET') {
      return sendJson(
        response,
        200,
        Object.fromEntries([...providers].map(([key, provider]) => [key, { script: provider.script, stats: simulator.stats(key) }])),
      );
    }
    if (!name || !providers.has(name)) return sendJson(response, 404, { error: `no simulated provider named ${name ?? ''}` });
    if (method === 'GET') return sendJson(response, 200, { script: simulator.script(name), stats: simulator.stats(name) });
    if (method === 'POST' && action === 'reset') return sendJson(response, 200, simulator.reset(name));
    if (method === 'PUT') return sendJson(response, 200, simulator.set(name, (await readJson(request)) as Partial<ProviderScript>));
    return sendJson(response, 405, { error: 'use GET, PUT or POST …/reset' });
  }

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://simulator').pathname;
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    void (async () => {
      if (parts[0] === '_control' && parts[1] === 'providers')
        return control(request.method ?? 'GET', parts[2], parts[3], request, response);
      const provider = parts[0] ? providers.get(parts[0]) : undefined;
      if (!provider || request.method !== 'POST') return sendJson(response, 404, { error: `unknown route ${request.method} ${path}` });
      if (parts[1] === 'v1' && parts[2] === 'chat' && parts[3] === 'completions') {
        return serveCompletion(provider, 'openai', await readJson(request), request, response);
      }
      if (parts[1] === 'model' && parts[3] === 'converse') {
        return serveCompletion(provider, 'bedrock', { ...(await readJson(request)), model: parts[2] }, request, response);
      }
      return sendJson(response, 404, { error: `unknown route ${request.method} ${path}` });
    })().catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: String(error) });
      else response.destroy();
    });
  };
  const server = createServer(handle);
  // The HTTP/2 compatibility API mirrors node:http's request and response closely enough for `handle`.
  const http2 = createHttp2Server((request, response) =>
    handle(request as unknown as IncomingMessage, response as unknown as ServerResponse),
  );
  const sessions = new Set<Http2Session>();
  http2.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  const listen = (target: { once: typeof server.once; listen: typeof server.listen; address: typeof server.address }, port: number) =>
    new Promise<number>((resolve, reject) => {
      target.once('error', reject);
      target.listen(port, '127.0.0.1', () => {
        const address = target.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  const port = await listen(server, options.port ?? 0);
  const http2Port = await listen(http2 as unknown as typeof server, 0);
  const url = `http://127.0.0.1:${port}`;

  const simulator: ProviderSimulator = {
    url,
    openAiBaseUrl: (name) => `${url}/${encodeURIComponent(name)}/v1`,
    bedrockEndpoint: (name) => `http://127.0.0.1:${http2Port}/${encodeURIComponent(name)}`,
    script: (name) => state(name).script,
    set(name, patch) {
      const provider = state(name);
      provider.script = { ...provider.script, ...patch };
      return provider.script;
    },
    reset(name) {
      const provider = state(name);
      provider.script = { ...HEALTHY, ...options.providers[name] };
      return provider.script;
    },
    stats(name) {
      const provider = state(name);
      return {
        requests: provider.requests,
        byStatus: { ...provider.byStatus },
        inFlight: provider.inFlight,
        queued: provider.waiting.length,
      };
    },
    lastRequest: (name) => state(name).last,
    stop: async () => {
      await Promise.all([
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
        new Promise<void>((resolve) => {
          http2.close(() => resolve());
          for (const session of sessions) session.destroy();
        }),
      ]);
    },
  };
  return simulator;
}

/** The Converse request's system blocks and messages as chat messages. */
function bedrockMessages(body: Record<string, unknown>): RecordedRequest['messages'] {
  const text = (blocks: unknown) =>
    Array.isArray(blocks) ? blocks.map((block) => (typeof block?.text === 'string' ? (block.text as string) : '')).join('') : '';
  const system = Array.isArray(body.system) ? [{ role: 'system', content: text(body.system) }] : [];
  const messages = Array.isArray(body.messages)
    ? (body.messages as { role?: unknown; content?: unknown }[]).map((message) => ({
        role: String(message.role),
        content: text(message.content),
      }))
    : [];
  return [...system, ...messages];
}
