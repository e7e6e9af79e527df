// The embedded platform's twin of the move replicator's event source mappings: a second stream reader per shard
// (as on AWS, where the relay is the first and DynamoDB Streams allow two), each with its own checkpoint file.
// Polled more often than the relay: a cutover's write fence lasts as long as its barrier takes to come round.
import { join } from 'node:path';
import type { HeadroomConfig } from '../lib/config.js';
import { localTableName } from '../lambdas/schema.js';
import { startDynamoDbStreamSource, type DynamoDbStreamHandler, type DynamoDbStreamSource } from './dynamodb-stream-source.js';

/** How often an idle replicator looks for new records (the relay uses the stream source default, 250 ms). */
export const REPLICATOR_POLL_MS = 50;

export async function startMoveReplicators(options: {
  readonly config: HeadroomConfig;
  readonly endpoint: string;
  readonly dataDir: string;
  readonly handler: DynamoDbStreamHandler;
}): Promise<DynamoDbStreamSource[]> {
  return Promise.all(
    options.config.shards.map((shard) =>
      startDynamoDbStreamSource({
        endpoint: options.endpoint,
        tableName: localTableName.shard(shard.name),
        checkpointFile: join(options.dataDir, 'move-replicator-checkpoints', `${shard.name}.json`),
        handler: options.handler,
        functionName: 'move-replicator',
        pollIntervalMs: REPLICATOR_POLL_MS,
        batchSize: 1000,
      }),
    ),
  );
}

/**
 * Writes per second on each shard, from the records its relay has handled (every committed change passes the relay
 * exactly once): the local stand-in for CloudWatch's ConsumedWriteCapacityUnits.
 */
export function streamWriteRates(sources: () => ReadonlyMap<string, DynamoDbStreamSource>, windowMs = 10_000) {
  const samples = new Map<string, { at: number; processed: number }[]>();
  return async (shard: string): Promise<number | null> => {
    const source = sources().get(shard);
    if (!source) return null;
    const now = Date.now();
    const history = (samples.get(shard) ?? []).filter((sample) => now - sample.at <= windowMs);
    history.push({ at: now, processed: source.lag().processedRecords });
    samples.set(shard, history);
    const first = history[0]!;
    const last = history.at(-1)!;
    return last.at > first.at ? Math.round(((last.processed - first.processed) / (last.at - first.at)) * 10_000) / 10 : null;
  };
}
