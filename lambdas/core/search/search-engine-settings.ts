// Which engine serves search and how each generation's index is laid out: OpenSearch on AWS, SQLite FTS5 inside
// the embedded platform. Declared once, here: lib/ builds the OpenSearch settings (its index layout validated by
// lib/config.ts with these bounds), and the runtime reads them back (HEADROOM_SEARCH) with the same schema.
import * as z from 'zod';

/** Primary shards of each generation's index (config `search.indexShards`). */
export const indexShardsSchema = z.number().int().min(1).max(100);
/** Replicas of each primary shard (config `search.indexReplicas`). */
export const indexReplicasSchema = z.number().int().min(0).max(5);

export const searchEngineSchema = z.discriminatedUnion('engine', [
  z.strictObject({
    engine: z.literal('opensearch'),
    endpoint: z.url(),
    region: z.string().min(1),
    indexPrefix: z.string().regex(/^[a-z0-9][a-z0-9-]{0,60}$/),
    shards: indexShardsSchema,
    replicas: indexReplicasSchema,
    /** The domain's name, for pre-flight health checks before a migration starts or cuts over. */
    domainName: z.string().min(3).optional(),
  }),
  z.strictObject({ engine: z.literal('sqlite'), file: z.string().min(1) }),
]);
export type SearchEngineSettings = z.infer<typeof searchEngineSchema>;
