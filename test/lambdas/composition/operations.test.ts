// The operations functions read their environment on their first invocation, never at import: a bundle loads bare,
// and an invocation without its variables fails naming them instead of running half-configured.
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { OPERATIONS_ENV } from '../../../lambdas/operations-contract.js';

const context = {
  functionName: 'operations-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:operations-test',
  memoryLimitInMB: '256',
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

describe('the operations functions', () => {
  it('the canary loads without its environment and its first run names what is missing', async () => {
    const { handler } = await import('../../../lambdas/handlers/heartbeat-canary.js');
    await expect(handler({}, context)).rejects.toThrow(OPERATIONS_ENV.canaryTokenSecretArn);
  });

  it('the rollback action loads without its environment and its first event names what is missing', async () => {
    const { handler } = await import('../../../lambdas/handlers/rollback-action.js');
    await expect(handler({}, context)).rejects.toThrow(OPERATIONS_ENV.releaseTargets);
  });
});
