// API Gateway TOKEN authorizer: bearer token → tenant. Throwing 'Unauthorized' is how API Gateway is told 401.
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { stageWildcard } from '../core/tenancy/token-authorizer.js';
import { logger } from '../observability.js';
import { platform } from '../composition/platform.js';

export const handler = async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const profile = await platform().authenticate(event.authorizationToken);
  if (!profile) {
    logger.debug('token refused');
    throw new Error('Unauthorized');
  }
  return {
    principalId: profile.tenantId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageWildcard(event.methodArn) }],
    },
    context: { tenantId: profile.tenantId, tier: profile.tier, group: profile.group },
    usageIdentifierKey: profile.usageKey,
  };
};
