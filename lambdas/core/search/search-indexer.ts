// The indexer applies each change job to every write generation. It never trusts the job's payload: it reads
// the item from the shard the directory names (the source of truth) and writes that, with its version, so a job
// delivered late, twice or out of order can only repeat or skip work, never roll a document back.
import type { Job } from '../jobs/jobs.js';
import { shardKeys } from '../../schema.js';
import type { GenerationView } from './search-generations.js';
import { toSearchDocument, type Generation, type SearchIndex } from './search-index.js';
import type { TenantItemSource } from '../tenancy/tenant-items.js';
import type { ShardName, TenantId } from '../tenancy/tenancy.js';
import type { TenantDirectory } from '../tenancy/tenant-directory.js';

export interface IndexerDeps {
  readonly directory: TenantDirectory;
  readonly items: (shard: ShardName) => TenantItemSource;
  readonly search: SearchIndex;
  readonly generations: () => Promise<GenerationView>;
  /** Generations this instance already ensured exist. */
  readonly ensured: Set<Generation>;
  /** Seconds from commit to applied, for the indexer-lag metric. */
  readonly recordLag: (seconds: number) => void;
  readonly now: () => Date;
}

export function itemKeyOf(job: Pick<Job, 'kind' | 'tenantId' | 'key'>): { pk: string; sk: string } {
  if (job.kind === 'conversation') return shardKeys.conversation(job.tenantId, job.key);
  const [conversationId, commentId] = job.key.split('/') as [string, string];
  return shardKeys.comment(job.tenantId, conversationId, commentId);
}

export async function indexJob(job: Job, deps: IndexerDeps): Promise<string> {
  const tenantId = job.tenantId as TenantId;
  let item = await readItem(job, deps);
  if (item !== undefined && (item.v as number) < job.v) {
    // The shard holds an older version than the job announces: our cached route predates a tenant move.
    deps.directory.forget(tenantId);
    item = await readItem(job, deps);
    if (item !== undefined && (item.v as number) < job.v)
      throw new Error(`item ${job.key} is at v${String(item.v)}, job says v${job.v}: retry later`);
  }
  const document = item && toSearchDocument(item);
  if (!document) return 'item gone: nothing to index';
  const { write } = await deps.generations();
  const results: string[] = [];
  for (const generation of write) {
    if (!deps.ensured.has(generation)) {
      await deps.search.ensureGeneration(generation);
      deps.ensured.add(generation);
    }
    const [result] = await deps.search.bulkUpsert(generation, [document]);
    results.push(`${generation}:${result}`);
  }
  deps.recordLag((deps.now().getTime() - Date.parse(job.committedAt)) / 1000);
  return `indexed v${document.v} (${results.join(', ')})`;
}

async function readItem(job: Job, deps: IndexerDeps) {
  const profile = await deps.directory.resolve(job.tenantId as TenantId);
  return profile ? deps.items(profile.shard).get(itemKeyOf(job)) : undefined;
}
