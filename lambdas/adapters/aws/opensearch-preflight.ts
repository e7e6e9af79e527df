// Before a search migration starts or cuts a tenant over, the domain must be able to take it: not in the middle of
// a configuration change or upgrade (shards relocate, latency spikes), cluster green, no unassigned shards.
// Returns what is wrong, in words an operator can act on; empty when all is well.
import { DescribeDomainCommand, OpenSearchClient } from '@aws-sdk/client-opensearch';
import type { Client } from '@opensearch-project/opensearch';
import { signedOpenSearchClient } from './opensearch-search-index.js';

export function openSearchPreflight(
  domainName: string,
  endpoint: string,
  region: string,
  clients: { readonly domains?: OpenSearchClient; readonly cluster?: Client } = {},
): () => Promise<string[]> {
  const domains = clients.domains ?? new OpenSearchClient({ region });
  const cluster = clients.cluster ?? signedOpenSearchClient(endpoint, region);
  return async () => {
    const problems: string[] = [];
    const { DomainStatus } = await domains.send(new DescribeDomainCommand({ DomainName: domainName }));
    if (DomainStatus?.Processing) problems.push(`domain ${domainName} is processing a configuration change`);
    if (DomainStatus?.UpgradeProcessing) problems.push(`domain ${domainName} is upgrading`);
    if (DomainStatus?.DomainProcessingStatus && DomainStatus.DomainProcessingStatus !== 'Active')
      problems.push(`domain ${domainName} is ${DomainStatus.DomainProcessingStatus}`);
    const health = (await cluster.cluster.health({})).body as { status: string; unassigned_shards: number };
    if (health.status !== 'green') problems.push(`cluster health is ${health.status}`);
    if (health.unassigned_shards > 0) problems.push(`${health.unassigned_shards} shard(s) are unassigned`);
    return problems;
  };
}
