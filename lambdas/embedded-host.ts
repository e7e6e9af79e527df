// What the embedded platform provides in place of AWS-only services: the migration runner (Step Functions), queue
// ages (CloudWatch), the search engine (OpenSearch, SQLite FTS5 locally), shard write rates and the operations
// snapshot. It is installed on globalThis, so a handler bundle loaded into the embedded platform, which carries
// its own copy of every module, finds the same host as the sources do. Nothing installs it on Lambda, and so no
// Lambda bundle ever contains the local search engine: the host builds it, outside every bundle.
import type { PlatformOverrides } from './composition/platform.js';

export type EmbeddedHost = Pick<
  PlatformOverrides,
  'startMigration' | 'searchIndex' | 'searchSettleSeconds' | 'oldestAge' | 'shardWriteRate' | 'operations'
>;

const HOST_KEY = Symbol.for('headroom.embedded-host');
type HostSlot = { [HOST_KEY]?: EmbeddedHost };

export function installEmbeddedHost(host: EmbeddedHost | undefined): void {
  (globalThis as HostSlot)[HOST_KEY] = host;
}

/** The host the embedded platform installed, or none (on Lambda). */
export function embeddedHost(): EmbeddedHost | undefined {
  return (globalThis as HostSlot)[HOST_KEY];
}
