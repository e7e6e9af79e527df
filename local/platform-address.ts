// Where a running embedded platform listens, kept in its data directory so the CLI in another shell finds it
// without being told the port: `npm start` writes the file once it listens and removes it when it stops.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PLATFORM_URL_FILE = 'platform-url';

/** The data directory `npm start` and the CLI use unless HEADROOM_DATA_DIR names another. */
export const defaultDataDir = (): string => process.env.HEADROOM_DATA_DIR ?? '.headroom';

export function writePlatformUrl(dataDir: string, url: string): void {
  writeFileSync(join(dataDir, PLATFORM_URL_FILE), `${url}\n`);
}

/** The URL of the platform running on `dataDir`, if one has written it. */
export function readPlatformUrl(dataDir: string): string | undefined {
  const path = join(dataDir, PLATFORM_URL_FILE);
  if (!existsSync(path)) return undefined;
  const url = readFileSync(path, 'utf8').trim();
  return url === '' ? undefined : url;
}

export function removePlatformUrl(dataDir: string): void {
  rmSync(join(dataDir, PLATFORM_URL_FILE), { force: true });
}
