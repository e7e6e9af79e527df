// Gives each tenant its own API key on its tier's usage plan, so API Gateway throttles and meters tenants one by
// one. The key value is random; it is returned by the authorizer as usageIdentifierKey and never shown to tenants.
// Plans are known by name (an id would make the admin function depend on the stage that routes to it, a cycle),
// and their ids are looked up once per instance.
import { randomBytes } from 'node:crypto';
import { APIGatewayClient, CreateApiKeyCommand, CreateUsagePlanKeyCommand, paginateGetUsagePlans } from '@aws-sdk/client-api-gateway';
import type { Tier } from '../../core/tenancy/tiers.js';
import type { UsageKeys } from '../../core/ports.js';
import type { TenantId } from '../../core/tenancy/tenancy.js';

export class ApiGatewayUsageKeys implements UsageKeys {
  private readonly client = new APIGatewayClient({});
  private planIds: Promise<Map<string, string>> | undefined;

  constructor(private readonly planNames: Readonly<Record<Tier, string>>) {}

  private async planId(tier: Tier): Promise<string> {
    this.planIds ??= (async () => {
      const ids = new Map<string, string>();
      for await (const page of paginateGetUsagePlans({ client: this.client }, {})) {
        for (const plan of page.items ?? []) if (plan.name && plan.id) ids.set(plan.name, plan.id);
      }
      return ids;
    })();
    const id = (await this.planIds).get(this.planNames[tier]);
    if (!id) {
      this.planIds = undefined;
      throw new Error(`usage plan ${this.planNames[tier]} for tier ${tier} does not exist; deploy the API stack`);
    }
    return id;
  }

  async issue(tenantId: TenantId, tier: Tier): Promise<string> {
    const usagePlanId = await this.planId(tier);
    const value = randomBytes(30).toString('base64url');
    const key = await this.client.send(
      new CreateApiKeyCommand({
        name: `tenant-${tenantId}-${Date.now()}`,
        description: `Headroom tenant ${tenantId} (${tier})`,
        enabled: true,
        value,
      }),
    );
    await this.client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: key.id, keyType: 'API_KEY' }));
    return value;
  }
}
