// The embedded platform has no API Gateway to register keys with: a key is just a random value, and the HTTP
// bridge applies the tier's usage-plan limits to each key itself.
import { randomBytes } from 'node:crypto';
import type { UsageKeys } from '../../core/ports.js';

export const localUsageKeys: UsageKeys = {
  issue: async () => randomBytes(30).toString('base64url'),
};
