// The read path: the tenant's read generation comes from the flag, cursors are bound to tenant, generation and query,
// and shadow reads return the control answer while comparing the candidate's.
import { describe, expect, it } from 'vitest';
import { SqliteSearchIndex } from '../../../../lambdas/adapters/local/sqlite-search-index.js';
import { createCursorCodec } from '../../../../lambdas/core/conversations/cursor.js';
import { generationView, type GenerationRecord } from '../../../../lambdas/core/search/search-generations.js';
import { searchTenant, type SearchServiceDeps, type ShadowComparison } from '../../../../lambdas/core/search/search-service.js';
import type { TenantId } from '../../../../lambdas/core/tenancy/tenancy.js';
import { searchDoc } from '../../adapters/search-index-contract.js';

const record = (generation: string, status: GenerationRecord['status'], shadowRate = 0): GenerationRecord => ({
  generation,
  status,
  version: 1,
  createdAt: '2026-11-26T00:00:00.000Z',
  ...(shadowRate ? { shadowRate, migrationId: `search-${generation}` } : {}),
});

async function setup(flagged: string, records: GenerationRecord[], random = 0) {
  const index = new SqliteSearchIndex(':memory:');
  for (const generation of ['g1', 'g2']) await index.ensureGeneration(generation);
  await index.bulkUpsert('g1', [
    searchDoc('acme', { id: 'old-1', body: 'refund please' }),
    searchDoc('acme', { id: 'old-2', body: 'refund now' }),
  ]);
  await index.bulkUpsert('g2', [searchDoc('acme', { id: 'old-1', body: 'refund please' })]);
  const shadows: ShadowComparison[] = [];
  const codec = createCursorCodec('k'.repeat(32));
  const deps: SearchServiceDeps = {
    tenantId: 'acme' as TenantId,
    index,
    flags: { getStringValue: async () => flagged },
    generations: async () => generationView(records),
    cursors: async () => codec,
    random: () => random,
    nowMs: () => performance.now(),
    recordShadow: async (comparison) => void shadows.push(comparison),
  };
  return { deps, shadows };
}

describe('searchTenant', () => {
  it('reads the generation the flag names, and falls back to the serving one when the flag names a dropped generation', async () => {
    const { deps } = await setup('g2', [record('g1', 'serving'), record('g2', 'building')]);
    expect((await searchTenant(deps, 'refund', 10)).generation).toBe('g2');
    const dropped = await setup('g2', [record('g1', 'serving'), record('g2', 'dropped')]);
    const result = await searchTenant(dropped.deps, 'refund', 10);
    expect(result.generation).toBe('g1');
    expect(result.items).toHaveLength(2);
  });

  it('returns the control answer and records a shadow comparison of the candidate, with the ids only one side had', async () => {
    const { deps, shadows } = await setup('g1', [record('g1', 'serving'), record('g2', 'building', 1)], 0.5);
    const result = await searchTenant(deps, 'refund', 10);
    expect(result.items.map((hit) => hit.id).sort()).toEqual(['old-1', 'old-2']);
    expect(shadows).toHaveLength(1);
    expect(shadows[0]).toMatchObject({
      migrationId: 'search-g2',
      control: 'g1',
      candidate: 'g2',
      matched: false,
      onlyControl: ['old-2'],
      onlyCandidate: [],
    });
  });

  it('samples shadow reads at the configured rate and never shadows a page after the first', async () => {
    const sampledOut = await setup('g1', [record('g1', 'serving'), record('g2', 'building', 0.1)], 0.5);
    await searchTenant(sampledOut.deps, 'refund', 10);
    expect(sampledOut.shadows).toHaveLength(0);
    const { deps, shadows } = await setup('g1', [record('g1', 'serving'), record('g2', 'building', 1)], 0);
    const first = await searchTenant(deps, 'refund', 1);
    expect(shadows).toHaveLength(1);
    await searchTenant(deps, 'refund', 1, first.nextCursor as string);
    expect(shadows).toHaveLength(1);
  });

  it('binds a cursor to the query and the generation: reusing it for another query or after a cutover is refused', async () => {
    const { deps } = await setup('g1', [record('g1', 'serving'), record('g2', 'building')]);
    const first = await searchTenant(deps, 'refund', 1);
    expect(first.nextCursor).not.toBeNull();
    const second = await searchTenant(deps, 'refund', 1, first.nextCursor as string);
    expect(second.items).toHaveLength(1);
    await expect(searchTenant(deps, 'please', 1, first.nextCursor as string)).rejects.toThrow(/not one this API issued/);
    const cutOver = { ...deps, flags: { getStringValue: async () => 'g2' } };
    await expect(searchTenant(cutOver, 'refund', 1, first.nextCursor as string)).rejects.toThrow(/not one this API issued/);
  });
});
