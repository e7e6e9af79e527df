// The only door through which a tenant id enters the runtime: the authorizer's verdict in the request context.
// Nothing a caller sends (path, query, body, headers) can name a tenant.
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { Problem } from '../core/problems.js';
import { tenantIdSchema, toTenantContext, type TenantContext } from '../core/tenancy/tenancy.js';
import { logger, metrics } from '../observability.js';
import type { TenantDirectory } from '../core/tenancy/tenant-directory.js';

const unauthorized = () => new Problem('unauthorized', 'The token is not valid for any active tenant. Check the Authorization header.');

export function tenantContext(
  directory: () => TenantDirectory,
): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context & { tenant: TenantContext }> {
  return {
    before: async (request) => {
      const claimed = tenantIdSchema.safeParse(request.event.requestContext?.authorizer?.tenantId);
      if (!claimed.success) throw unauthorized();
      const profile = await directory().resolve(claimed.data);
      if (!profile || profile.status !== 'active') throw unauthorized();
      request.context.tenant = toTenantContext(profile);
      logger.appendKeys({ tenantId: profile.tenantId, shard: profile.shard });
      metrics.addMetadata('tenantId', profile.tenantId);
    },
    after: async () => {
      logger.removeKeys(['tenantId', 'shard']);
    },
    onError: async () => {
      logger.removeKeys(['tenantId', 'shard']);
    },
  };
}
