// Gives each tenant its own API key on its tier's usage plan, so API Gateway throttles and meters tenants one by
// one. The key value is random; it is returned by the authorizer as usageIdentifierKey and never shown to tenants.
import { randomBytes } from 'node:crypto';
import { APIGatewayClient, CreateApiKeyCommand, CreateUsagePlanKeyCommand } from '@aws-sdk/client-api-gateway';
import type { Tier } from '../../environment.js';
import type { UsageKeys } from '../../core/ports.js';
import type { TenantId } from '../../core/tenancy.js';

export class ApiGatewayUsageKeys implements UsageKeys {
  private readonly client = new APIGatewayClient({});

  constructor(private readonly usagePlans: Readonly<Record<Tier, string>>) {}

  async issue(tenantId: TenantId, tier: Tier): Promise<string> {
    const value = randomBytes(30).toString('base64url');
    const key = await this.client.send(
      new CreateApiKeyCommand({
        name: `tenant-${tenantId}-${Date.now()}`,
        description: `Headroom tenant ${tenantId} (${tier})`,
        enabled: true,
        value,
      }),
    );
    await this.client.send(new CreateUsagePlanKeyCommand({ usagePlanId: this.usagePlans[tier], keyId: key.id, keyType: 'API_KEY' }));
    return value;
  }
}
