// API Gateway is AWS-only: the client is stubbed, and the requests it would receive are asserted.
import { APIGatewayClient, CreateApiKeyCommand, CreateUsagePlanKeyCommand } from '@aws-sdk/client-api-gateway';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiGatewayUsageKeys } from '../../../lambdas/adapters/aws/api-gateway-usage-keys.js';
import type { TenantId } from '../../../lambdas/core/tenancy.js';

afterEach(() => vi.restoreAllMocks());

describe('ApiGatewayUsageKeys', () => {
  it("creates an enabled key with a random value and puts it on the tenant's tier plan", async () => {
    const sent: unknown[] = [];
    vi.spyOn(APIGatewayClient.prototype, 'send').mockImplementation(async (command: unknown) => {
      sent.push(command);
      return command instanceof CreateApiKeyCommand ? { id: 'key-123' } : {};
    });
    const keys = new ApiGatewayUsageKeys({ free: 'plan-free', standard: 'plan-std', enterprise: 'plan-ent' });
    const value = await keys.issue('acme' as TenantId, 'enterprise');
    expect(sent).toHaveLength(2);
    const [create, attach] = sent as [CreateApiKeyCommand, CreateUsagePlanKeyCommand];
    expect(create).toBeInstanceOf(CreateApiKeyCommand);
    expect(create.input).toMatchObject({ enabled: true, value });
    expect(create.input.name).toMatch(/^tenant-acme-/);
    expect(value.length).toBeGreaterThanOrEqual(20);
    expect(attach).toBeInstanceOf(CreateUsagePlanKeyCommand);
    expect(attach.input).toEqual({ usagePlanId: 'plan-ent', keyId: 'key-123', keyType: 'API_KEY' });
    expect(await keys.issue('acme' as TenantId, 'free')).not.toBe(value);
  });
});
