// API Gateway is AWS-only: the client is stubbed, and the requests it would receive are asserted.
import { APIGatewayClient, CreateApiKeyCommand, CreateUsagePlanKeyCommand, GetUsagePlansCommand } from '@aws-sdk/client-api-gateway';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiGatewayUsageKeys } from '../../../lambdas/adapters/aws/api-gateway-usage-keys.js';
import type { TenantId } from '../../../lambdas/core/tenancy/tenancy.js';

afterEach(() => vi.restoreAllMocks());

describe('ApiGatewayUsageKeys', () => {
  it("creates an enabled key with a random value and puts it on the tenant's tier plan, looking plan ids up once", async () => {
    const sent: unknown[] = [];
    vi.spyOn(APIGatewayClient.prototype, 'send').mockImplementation(async (command: unknown) => {
      sent.push(command);
      if (command instanceof GetUsagePlansCommand) {
        return {
          items: [
            { id: 'id-free', name: 'Api-free' },
            { id: 'id-std', name: 'Api-standard' },
            { id: 'id-ent', name: 'Api-enterprise' },
          ],
        };
      }
      return command instanceof CreateApiKeyCommand ? { id: 'key-123' } : {};
    });
    const keys = new ApiGatewayUsageKeys({ free: 'Api-free', standard: 'Api-standard', enterprise: 'Api-enterprise' });
    const value = await keys.issue('acme' as TenantId, 'enterprise');
    expect(sent).toHaveLength(3);
    const [list, create, attach] = sent as [GetUsagePlansCommand, CreateApiKeyCommand, CreateUsagePlanKeyCommand];
    expect(list).toBeInstanceOf(GetUsagePlansCommand);
    expect(create).toBeInstanceOf(CreateApiKeyCommand);
    expect(create.input).toMatchObject({ enabled: true, value });
    expect(create.input.name).toMatch(/^tenant-acme-/);
    expect(value.length).toBeGreaterThanOrEqual(20);
    expect(attach).toBeInstanceOf(CreateUsagePlanKeyCommand);
    expect(attach.input).toEqual({ usagePlanId: 'id-ent', keyId: 'key-123', keyType: 'API_KEY' });
    expect(await keys.issue('acme' as TenantId, 'free')).not.toBe(value);
    expect(sent.filter((command) => command instanceof GetUsagePlansCommand)).toHaveLength(1);
    expect((sent.at(-1) as CreateUsagePlanKeyCommand).input.usagePlanId).toBe('id-free');
  });
});
