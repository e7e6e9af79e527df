// The embedded platform's stand-in for API Gateway: turns each HTTP request into a REST API (v1) proxy event,
// authorises it the way the deployed API does (token authorizer with a result cache, IAM replaced by an admin
// token), and invokes the very same handler modules the Lambda functions are bundled from.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayTokenAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { Problem } from '../lambdas/core/problems.js';
import { createTokenBuckets } from '../lambdas/core/fairness/token-bucket.js';
import type { Tier } from '../lambdas/core/tenancy/tiers.js';
import type { RouteFunctionName } from '../lambdas/functions.js';
import { ROUTES, type Route } from '../lambdas/routes.js';
import type { TierLimits } from '../lib/config.js';
import { lambdaContext } from './lambda-context.js';
import { problemResponse } from '../lambdas/middleware/problem-responses.js';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
export type AuthorizerHandler = (event: APIGatewayTokenAuthorizerEvent, context: Context) => Promise<APIGatewayAuthorizerResult>;

export interface BridgeOptions {
  readonly stageName: string;
  readonly authorizerCacheSeconds: number;
  readonly adminToken: string;
  readonly handlers: Readonly<Record<RouteFunctionName, ProxyHandler>>;
  readonly authorizer: AuthorizerHandler;
  /** Usage-plan limits per tier, applied to each tenant's usage key as API Gateway does. */
  readonly tiers: Readonly<Record<Tier, TierLimits>>;
  /** API Gateway's own payload ceiling; the handlers enforce the (smaller) API limits. */
  readonly maxRequestBytes?: number;
  /** Called once per answered request on a route (API Gateway's per-route Count, 4XX/5XX and Latency metrics). */
  readonly onResponse?: (observation: RouteObservation) => void;
  /** Serves a request before route matching (the ops console); returns false to let the bridge handle it. */
  readonly serveLocal?: (request: IncomingMessage, response: ServerResponse) => boolean;
}

export interface RouteObservation {
  /** `METHOD /resource/{param}`, as API Gateway names a route in its metrics. */
  readonly route: string;
  readonly status: number;
  readonly durationMs: number;
}

export interface ApiGatewayBridge {
  readonly server: Server;
  /** Forget cached authorizer decisions, as FlushStageAuthorizersCache does on AWS. */
  flushAuthorizerCache(): void;
}

interface MatchedRoute {
  readonly route: Route;
  readonly pathParameters: Record<string, string>;
}

/** The route for a request; like API Gateway, a literal path segment beats a `{param}` at the same position. */
function matchRoute(method: string, path: string): MatchedRoute | 'wrong-method' | undefined {
  const segments = path.split('/').filter(Boolean);
  const candidates: (MatchedRoute & { literals: number })[] = [];
  for (const route of ROUTES) {
    const template = route.path.split('/').filter(Boolean);
    if (template.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    let literals = 0;
    const matches = template.every((part, index) => {
      const segment = segments[index] ?? '';
      if (part.startsWith('{')) {
        pathParameters[part.slice(1, -1)] = decodeURIComponent(segment);
        return true;
      }
      literals++;
      return part === segment;
    });
    if (matches) candidates.push({ route, pathParameters, literals });
  }
  if (candidates.length === 0) return undefined;
  const best = Math.max(...candidates.map((candidate) => candidate.literals));
  const match = candidates.find((candidate) => candidate.literals === best && candidate.route.method === method);
  return match ? { route: match.route, pathParameters: match.pathParameters } : 'wrong-method';
}

function send(response: ServerResponse, result: APIGatewayProxyResult, requestId: string): void {
  const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8');
  headers['content-length'] = String(body.length);
  response.writeHead(result.statusCode, headers);
  response.end(body);
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const sameSecret = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

export function createApiGatewayBridge(options: BridgeOptions): ApiGatewayBridge {
  const maxRequestBytes = options.maxRequestBytes ?? 10 * 1024 * 1024;
  const cache = new Map<string, { result: APIGatewayAuthorizerResult; expires: number }>();
  const buckets = createTokenBuckets();
  const quotaUsed = new Map<string, number>();

  /** API Gateway's usage-plan check for one request: a problem when the tenant's key is over its limits. */
  function usagePlanRefusal(decision: APIGatewayAuthorizerResult): Problem | undefined {
    const key = decision.usageIdentifierKey;
    const limits = options.tiers[decision.context?.tier as Tier];
    if (!key || !limits)
      return new Problem('unauthorized', 'The tenant has no usage plan key. Recreate its token with `headroom tokens rotate`.');
    const now = Date.now();
    const day = `${key}@${new Date(now).toISOString().slice(0, 10)}`;
    const used = quotaUsed.get(day) ?? 0;
    if (used >= limits.quotaPerDay)
      return new Problem('quota-exceeded', `The daily quota of ${limits.quotaPerDay} requests is used up; it resets at 00:00 UTC.`);
    const bucket = { rate: limits.rateLimit, burst: limits.burstLimit };
    if (!buckets.take(key, bucket, now)) {
      const retryAfter = Math.max(1, Math.ceil(buckets.waitSeconds(key, bucket, now)));
      return new Problem('rate-limited', `Over ${limits.rateLimit} requests/s for this tier. Retry after ${retryAfter} s.`, {
        retryAfterSeconds: retryAfter,
      });
    }
    quotaUsed.set(day, used + 1);
    return undefined;
  }

  async function authorize(token: string | undefined, methodArn: string): Promise<APIGatewayAuthorizerResult | undefined> {
    if (!token) return undefined;
    const hit = cache.get(token);
    if (hit && hit.expires > Date.now()) return hit.result;
    try {
      const result = await options.authorizer(
        { type: 'TOKEN', authorizationToken: token, methodArn },
        lambdaContext('authorizer', Date.now() + 10_000),
      );
      if (options.authorizerCacheSeconds > 0) cache.set(token, { result, expires: Date.now() + options.authorizerCacheSeconds * 1000 });
      return result;
    } catch (error) {
      if ((error as Error).message === 'Unauthorized') return undefined;
      throw error;
    }
  }

  async function handle(request: IncomingMessage, requestId: string, matchedRoute: { name?: string }): Promise<APIGatewayProxyResult> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    let matched: ReturnType<typeof matchRoute>;
    try {
      matched = matchRoute(method, url.pathname);
    } catch {
      return problemResponse(
        new Problem('validation-failed', 'The path is not validly percent-encoded. Encode ids with encodeURIComponent.'),
        requestId,
      );
    }
    if (matched === undefined)
      return problemResponse(new Problem('route-not-found', `No route ${method} ${url.pathname}. See the README for the API.`), requestId);
    if (matched === 'wrong-method') {
      return {
        ...problemResponse(new Problem('route-not-found', `${method} is not supported on ${url.pathname}.`), requestId),
        statusCode: 405,
      };
    }
    const { route, pathParameters } = matched;
    matchedRoute.name = `${route.method} ${route.path}`;
    const body = await readBody(request, maxRequestBytes);
    if (body === undefined)
      return problemResponse(new Problem('payload-too-large', `The body exceeds ${maxRequestBytes} bytes.`), requestId);

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers))
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) query[name] = value;
    const methodArn = `arn:aws:execute-api:local:000000000000:local/${options.stageName}/${method}${url.pathname}`;

    let authorizer: Record<string, unknown> | null = null;
    const unauthorized = () =>
      problemResponse(new Problem('unauthorized', 'Send `Authorization: Bearer <token>` with a valid API token.'), requestId, {
        'www-authenticate': 'Bearer',
      });
    if (route.auth === 'tenant') {
      const decision = await authorize(headers.authorization, methodArn);
      const allowed = decision?.policyDocument.Statement.some((statement) => statement.Effect === 'Allow');
      if (!decision || !allowed) return unauthorized();
      const refusal = usagePlanRefusal(decision);
      if (refusal) return problemResponse(refusal, requestId);
      authorizer = { principalId: decision.principalId, ...decision.context };
    } else if (route.auth === 'admin') {
      const token = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
      if (!token || !sameSecret(token, options.adminToken)) {
        return problemResponse(
          new Problem(
            'unauthorized',
            'Admin routes need `Authorization: Bearer <admin token>` (see HEADROOM_ADMIN_TOKEN or the data directory).',
          ),
          requestId,
        );
      }
    }

    const event: APIGatewayProxyEvent = {
      resource: route.path,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters:
        Object.keys(query).length > 0
          ? Object.fromEntries([...url.searchParams.keys()].map((name) => [name, url.searchParams.getAll(name)]))
          : null,
      pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
      stageVariables: null,
      body: body.length > 0 ? body.toString('utf8') : null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        authorizer,
        protocol: 'HTTP/1.1',
        httpMethod: method,
        path: `/${options.stageName}${url.pathname}`,
        stage: options.stageName,
        requestId,
        requestTimeEpoch: Date.now(),
        resourceId: route.path,
        resourcePath: route.path,
        identity: {
          accessKey: null,
          accountId: null,
          apiKey: null,
          apiKeyId: null,
          caller: null,
          clientCert: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
          user: null,
          userAgent: headers['user-agent'] ?? null,
          userArn: route.auth === 'admin' ? 'local-admin' : null,
        },
      },
    };
    const result = await options.handlers[route.handler](event, lambdaContext(route.handler, Date.now() + 10_000));
    if (route.path === '/admin/tenants/{tenantId}/tokens' && result.statusCode === 201) cache.clear();
    return result;
  }

  const server = createServer((request, response) => {
    if (options.serveLocal?.(request, response)) return;
    const requestId = randomUUID();
    const started = performance.now();
    const matchedRoute: { name?: string } = {};
    const answer = (result: APIGatewayProxyResult) => {
      send(response, result, requestId);
      if (matchedRoute.name !== undefined)
        options.onResponse?.({ route: matchedRoute.name, status: result.statusCode, durationMs: performance.now() - started });
    };
    handle(request, requestId, matchedRoute)
      .then(answer)
      .catch((error: unknown) => {
        console.error(`[bridge] ${request.method} ${request.url} failed:`, error);
        answer(problemResponse(new Problem('internal', 'The function failed. See the platform log.'), requestId));
      });
  });
  server.keepAliveTimeout = 5_000;
  return { server, flushAuthorizerCache: () => cache.clear() };
}
