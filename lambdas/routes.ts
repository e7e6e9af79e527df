// The route table: the API stack builds API Gateway resources from it and the embedded platform's HTTP bridge
// matches requests with it, so a route exists in both places or in neither.

import type { RouteFunctionName } from './functions.js';

/** How a route is authorised: a tenant bearer token (Lambda authorizer), IAM (admin), or nothing. */
export type RouteAuth = 'tenant' | 'admin' | 'none';

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway resource path, with `{param}` placeholders. */
  readonly path: string;
  /** A function of the manifest (lambdas/functions.ts) whose trigger is `api`. */
  readonly handler: RouteFunctionName;
  readonly auth: RouteAuth;
}

export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/v1/conversations', handler: 'create-conversation', auth: 'tenant' },
  { method: 'GET', path: '/v1/conversations', handler: 'list-conversations', auth: 'tenant' },
  { method: 'GET', path: '/v1/conversations/{id}', handler: 'get-conversation', auth: 'tenant' },
  { method: 'DELETE', path: '/v1/conversations/{id}', handler: 'delete-conversation', auth: 'tenant' },
  { method: 'POST', path: '/v1/conversations/{id}/comments', handler: 'create-comment', auth: 'tenant' },
  { method: 'GET', path: '/v1/usage', handler: 'get-usage', auth: 'tenant' },
  { method: 'POST', path: '/v1/conversations/{id}/suggest-reply', handler: 'suggest-reply', auth: 'tenant' },
  { method: 'GET', path: '/v1/search', handler: 'search', auth: 'tenant' },
  { method: 'GET', path: '/healthz', handler: 'healthz', auth: 'none' },
  { method: 'GET', path: '/admin/status', handler: 'admin-tenants', auth: 'admin' },
  { method: 'GET', path: '/admin/tenants', handler: 'admin-tenants', auth: 'admin' },
  { method: 'POST', path: '/admin/tenants', handler: 'admin-tenants', auth: 'admin' },
  { method: 'GET', path: '/admin/tenants/{tenantId}', handler: 'admin-tenants', auth: 'admin' },
  { method: 'POST', path: '/admin/tenants/{tenantId}/tokens', handler: 'admin-tenants', auth: 'admin' },
  { method: 'GET', path: '/admin/tenants/top', handler: 'admin-tenants', auth: 'admin' },
  { method: 'GET', path: '/admin/queues', handler: 'admin-queues', auth: 'admin' },
  // Migrations of every kind, and the search index migration's commands (the runner does the work, not this function).
  ...(
    [
      ['GET', '/admin/migrations'],
      ['GET', '/admin/search/generations'],
      ['POST', '/admin/search/migration'],
      ['GET', '/admin/search/migration'],
      ...['cutover', 'rollback', 'complete', 'cancel'].map((action) => ['POST', `/admin/search/migration/${action}`] as const),
      ['GET', '/admin/repair'],
      ['POST', '/admin/repair/runs'],
      ['GET', '/admin/repair/runs/{passId}'],
    ] as const
  ).map(([method, path]) => ({ method, path, handler: 'admin-migrations' as const, auth: 'admin' as const })),
  // Tenant moves between shards.
  ...(
    [
      ['GET', '/admin/shards'],
      ['POST', '/admin/tenants/{tenantId}/move'],
      ['GET', '/admin/moves'],
      ['GET', '/admin/moves/{tenantId}'],
      ...['cancel', 'reverse', 'complete'].map((action) => ['POST', `/admin/moves/{tenantId}/${action}`] as const),
    ] as const
  ).map(([method, path]) => ({ method, path, handler: 'admin-moves' as const, auth: 'admin' as const })),
  { method: 'GET', path: '/admin/llm/routes', handler: 'admin-llm', auth: 'admin' },
  { method: 'POST', path: '/admin/llm/routes/{routeId}/drain', handler: 'admin-llm', auth: 'admin' },
  { method: 'POST', path: '/admin/llm/routes/{routeId}/restore', handler: 'admin-llm', auth: 'admin' },
  { method: 'POST', path: '/admin/queues/{queue}/redrive', handler: 'admin-queues', auth: 'admin' },
  ...(
    [
      ['GET', '/admin/flags'],
      ['GET', '/admin/flags/{flagKey}'],
      ['PUT', '/admin/flags/{flagKey}'],
      ['GET', '/admin/flags/{flagKey}/history'],
      ['GET', '/admin/flags/{flagKey}/evaluate'],
      ...['enable', 'disable', 'kill', 'allow', 'deny', 'unpin', 'rollout'].map(
        (action) => ['POST', `/admin/flags/{flagKey}/${action}`] as const,
      ),
    ] as const
  ).map(([method, path]) => ({ method, path, handler: 'admin-flags' as const, auth: 'admin' as const })),
];
