// Which search generations exist and which receive writes. Every generation that is not dropped is written
// (dual-write during a migration, and the old one until the migration completes, so a rollback reads current
// data); reads choose one generation per tenant through the `search.read-generation` flag.
import type { Clock, SearchGenerationStore } from '../ports.js';
import type { Generation, SearchMapping } from './search-index.js';

/** The generation a fresh installation serves from, before any migration recorded one. */
export const INITIAL_GENERATION: Generation = 'g1';
export const READ_GENERATION_FLAG = 'search.read-generation';

export type GenerationStatus = 'serving' | 'building' | 'dropped';

export interface GenerationRecord {
  readonly generation: Generation;
  readonly status: GenerationStatus;
  readonly version: number;
  readonly createdAt: string;
  readonly mapping?: SearchMapping;
  /** Share of searches (0-1) also run on this generation and compared, while a migration verifies it. */
  readonly shadowRate?: number;
  /** The migration that created it, for shadow-read bookkeeping. */
  readonly migrationId?: string;
}

export interface GenerationView {
  /** Generations every change is written to. */
  readonly write: Generation[];
  readonly records: GenerationRecord[];
}

export function generationView(records: readonly GenerationRecord[]): GenerationView {
  const live = records.filter((record) => record.status !== 'dropped');
  const known = live.length > 0 ? live : [{ generation: INITIAL_GENERATION, status: 'serving' as const, version: 0, createdAt: '' }];
  return {
    write: known.map((record) => record.generation).sort(byNumber),
    records: [...known].sort((a, b) => byNumber(a.generation, b.generation)),
  };
}

export const generationNumber = (generation: Generation): number => Number(generation.slice(1));
const byNumber = (a: Generation, b: Generation): number => generationNumber(a) - generationNumber(b);

/** The registry as each instance sees it: re-read at most once per TTL, the last good copy served on errors. */
export function cachedGenerations(store: SearchGenerationStore, clock: Clock, ttlSeconds: number): () => Promise<GenerationView> {
  let current: { view: GenerationView; loadedAt: number } | undefined;
  return async () => {
    const now = clock.now().getTime();
    if (current && now - current.loadedAt < ttlSeconds * 1000) return current.view;
    try {
      current = { view: generationView(await store.list()), loadedAt: now };
    } catch (error) {
      if (!current) throw error;
    }
    return current.view;
  };
}
