// What the embedded platform provides in place of AWS-only services: the migration runner (Step Functions), queue
// ages (CloudWatch), the search engine (OpenSearch, SQLite FTS5 locally), shard write rates and the operations
// snapshot. It is installed on globalThis, so a handler bundle loaded into the embedded platform, which carries
// its own copy of every module, finds the same host as the sources do. Nothing installs it on Lambda, and so no
// Lambda bundle ever contains the local search engine: the host builds it, outside every bundle.
import type { OldestAge } from './adapters/aws/sqs-queue-inspector.js';
import type { OperationsSnapshot } from './core/operations/operations-snapshot.js';
import type { SearchIndex } from './core/search/search-index.js';

export interface EmbeddedHost {
  /** Where the age of a queue's oldest message comes from (CloudWatch on AWS). */
  readonly oldestAge?: OldestAge;
  /** Wakes the migration runner for a migration (the embedded platform's in-process loop; Step Functions on AWS). */
  readonly startMigration?: (migrationId: string) => Promise<void>;
  /** Replaces the search engine (SQLite FTS5 locally; tests); `searchSettleSeconds` shortens migrations' cache waits. */
  readonly searchIndex?: SearchIndex;
  readonly searchSettleSeconds?: number;
  /** Writes per second on a shard (the embedded platform counts its stream records; CloudWatch is not there). */
  readonly shardWriteRate?: (shard: string) => Promise<number | null>;
  /** The embedded platform's operations snapshot (its in-process metrics registry). */
  readonly operations?: () => Promise<OperationsSnapshot>;
}

const HOST_KEY = Symbol.for('headroom.embedded-host');
type HostSlot = { [HOST_KEY]?: EmbeddedHost };

export function installEmbeddedHost(host: EmbeddedHost | undefined): void {
  (globalThis as HostSlot)[HOST_KEY] = host;
}

/** The host the embedded platform installed, or none (on Lambda). */
export function embeddedHost(): EmbeddedHost | undefined {
  return (globalThis as HostSlot)[HOST_KEY];
}
