// The migration pre-flight against an OpenSearch domain: each unhealthy condition is named; a healthy domain passes.
import { describe, expect, it } from 'vitest';
import type { OpenSearchClient } from '@aws-sdk/client-opensearch';
import type { Client } from '@opensearch-project/opensearch';
import { openSearchPreflight } from '../../../lambdas/adapters/aws/opensearch-preflight.js';

function preflight(domain: Record<string, unknown>, health: { status: string; unassigned_shards: number }) {
  const sent: unknown[] = [];
  const domains = {
    send: async (command: { input: unknown }) => (sent.push(command.input), { DomainStatus: domain }),
  } as unknown as OpenSearchClient;
  const cluster = { cluster: { health: async () => ({ body: health }) } } as unknown as Client;
  return { check: openSearchPreflight('headroom', 'https://search.example', 'eu-west-1', { domains, cluster }), sent };
}

describe('openSearchPreflight', () => {
  it('passes a green, idle domain and asks about the named domain', async () => {
    const { check, sent } = preflight(
      { Processing: false, UpgradeProcessing: false, DomainProcessingStatus: 'Active' },
      { status: 'green', unassigned_shards: 0 },
    );
    expect(await check()).toEqual([]);
    expect(sent).toEqual([{ DomainName: 'headroom' }]);
  });

  it('names every reason to wait: a configuration change, an upgrade, a yellow cluster, unassigned shards', async () => {
    const { check } = preflight(
      { Processing: true, UpgradeProcessing: true, DomainProcessingStatus: 'Modifying' },
      { status: 'yellow', unassigned_shards: 3 },
    );
    expect(await check()).toEqual([
      'domain headroom is processing a configuration change',
      'domain headroom is upgrading',
      'domain headroom is Modifying',
      'cluster health is yellow',
      '3 shard(s) are unassigned',
    ]);
  });
});
