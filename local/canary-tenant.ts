// The synthetic heartbeat acts as a `canary` tenant, created on first start like the demo tenant. Its token is kept
// in the data directory (owner-only) because the control table stores only the hash; when the stored token no
// longer matches (rotated by an operator), a fresh one is issued, since the canary must always be able to write.
import { hashToken } from '../lambdas/core/tenancy/api-tokens.js';
import type { TenantId } from '../lambdas/core/tenancy/tenancy.js';
import { platform } from '../lambdas/composition/platform.js';
import { tenantAdminOf } from '../lambdas/composition/tenant-admin.js';
import { readSecret, writeSecret } from './local-secrets.js';

export const CANARY_TENANT = 'canary' as TenantId;
const CANARY_TOKEN_FILE = 'canary-token';

export interface CanaryTenant {
  readonly tenantId: TenantId;
  readonly token: string;
  readonly created: boolean;
}

export async function ensureCanaryTenant(dataDir: string): Promise<CanaryTenant> {
  const p = platform();
  const existing = await p.control.getTenant(CANARY_TENANT);
  if (existing) {
    const stored = readSecret(dataDir, CANARY_TOKEN_FILE);
    if (stored && hashToken(stored) === existing.tokenHash) return { tenantId: CANARY_TENANT, token: stored, created: false };
    const { token } = await tenantAdminOf(p).rotateToken(CANARY_TENANT);
    writeSecret(dataDir, CANARY_TOKEN_FILE, token);
    return { tenantId: CANARY_TENANT, token, created: false };
  }
  const { token } = await tenantAdminOf(p).create({ id: CANARY_TENANT });
  writeSecret(dataDir, CANARY_TOKEN_FILE, token);
  return { tenantId: CANARY_TENANT, token, created: true };
}
