// Tenant administration's composition: creating tenants (each gets an API Gateway usage key on AWS, a local value
// in the embedded platform), listing, showing, rotating tokens. Only the tenant admin function (and the embedded
// platform's demo and canary tenants) import this file, so only that bundle carries the API Gateway client.
import { ApiGatewayUsageKeys } from '../adapters/aws/api-gateway-usage-keys.js';
import { localUsageKeys } from '../adapters/local/local-usage-keys.js';
import { tenantAdmin, type TenantAdmin } from '../core/tenancy/tenant-admin.js';
import type { Platform } from './platform.js';

export const tenantAdminOf = (platform: Platform): TenantAdmin =>
  platform.parts.once(tenantAdminOf, () => {
    const { env, clock, control, stores } = platform.parts;
    const usageKeys = stores.usageKeys ?? (env.usagePlans ? new ApiGatewayUsageKeys(env.usagePlans) : localUsageKeys);
    return tenantAdmin({ store: control, clock, topology: env.shards, defaultTier: env.defaultTier, usageKeys });
  });
