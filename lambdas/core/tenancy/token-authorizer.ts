// Authentication for tenant routes: a bearer token is hashed and looked up; only an active tenant's current
// token passes. The decision is cached by API Gateway per token, so the policy must cover every tenant route.
import { bearerToken, hashToken } from './api-tokens.js';
import type { ControlStore } from '../ports.js';
import type { TenantDirectory } from './tenant-directory.js';
import type { TenantProfile } from './tenancy.js';

/** The tenant a request's Authorization header proves, or undefined (→ 401). */
export async function authenticate(
  authorization: string | undefined,
  control: ControlStore,
  directory: TenantDirectory,
): Promise<TenantProfile | undefined> {
  const token = bearerToken(authorization);
  if (!token) return undefined;
  const tokenHash = hashToken(token);
  const tenantId = await control.findTokenOwner(tokenHash);
  if (!tenantId) return undefined;
  let profile = await directory.resolve(tenantId);
  if (profile && profile.tokenHash !== tokenHash) {
    // The cached profile predates a rotation; the token item is the fresh truth, so re-read the profile once.
    directory.forget(tenantId);
    profile = await directory.resolve(tenantId);
  }
  if (!profile || profile.status !== 'active' || profile.tokenHash !== tokenHash) return undefined;
  return profile;
}

/** The execute-api resource pattern for every method of the stage that `methodArn` belongs to. */
export function stageWildcard(methodArn: string): string {
  // arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path...>
  const [api = '', stage = ''] = methodArn.split('/');
  return `${api}/${stage}/*/*`;
}
