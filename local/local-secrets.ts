// Secrets the embedded platform keeps in its data directory (admin token, cursor key, demo token), created once
// with owner-only permissions and reused on every start so tokens and cursors survive restarts.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin-token';

export function readOrCreateSecret(
  dataDir: string,
  file: string,
  create: () => string = () => randomBytes(32).toString('base64url'),
): string {
  const path = join(dataDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const value = create();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return value;
}

export function readSecret(dataDir: string, file: string): string | undefined {
  const path = join(dataDir, file);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

export function writeSecret(dataDir: string, file: string, value: string): void {
  writeFileSync(join(dataDir, file), `${value}\n`, { mode: 0o600 });
}
