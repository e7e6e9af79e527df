// On first start the embedded platform creates a `demo` tenant so the README walkthrough works at once. Its token
// is kept in the data directory (owner-only) because the control table stores only the token's hash.
import { hashToken } from '../lambdas/core/tenancy/api-tokens.js';
import type { TenantId } from '../lambdas/core/tenancy/tenancy.js';
import { platform } from '../lambdas/composition/platform.js';
import { tenantAdminOf } from '../lambdas/composition/tenant-admin.js';
import { readSecret, writeSecret } from './local-secrets.js';

export const DEMO_TENANT = 'demo' as TenantId;
const DEMO_TOKEN_FILE = 'demo-token';

export interface DemoTenant {
  readonly tenantId: string;
  /** The demo token, when this data directory still holds the current one. */
  readonly token?: string;
  readonly created: boolean;
}

export async function ensureDemoTenant(dataDir: string): Promise<DemoTenant> {
  const p = platform();
  const existing = await p.control.getTenant(DEMO_TENANT);
  if (existing) {
    const token = readSecret(dataDir, DEMO_TOKEN_FILE);
    return { tenantId: DEMO_TENANT, created: false, ...(token && hashToken(token) === existing.tokenHash ? { token } : {}) };
  }
  const { token } = await tenantAdminOf(p).create({ id: DEMO_TENANT });
  writeSecret(dataDir, DEMO_TOKEN_FILE, token);
  return { tenantId: DEMO_TENANT, token, created: true };
}
