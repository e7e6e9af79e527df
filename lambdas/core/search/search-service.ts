// A tenant's search: the read generation comes from the `search.read-generation` flag (per tenant, so tenants
// move to a new generation one by one), the cursor is bound to the tenant, the generation and the query, and a
// sample of searches is also run on the candidate generation of a migration in progress (a shadow read): the
// caller always gets the current generation's answer; the candidate's is only compared, timed and counted.
import { createHash } from 'node:crypto';
import type { CursorCodec } from '../conversations/cursor.js';
import type { StringFlagReader } from '../ports.js';
import { READ_GENERATION_FLAG, type GenerationView } from './search-generations.js';
import type { Generation, SearchHit, SearchIndex, SearchPage } from './search-index.js';
import type { TenantId } from '../tenancy/tenancy.js';

export interface ShadowComparison {
  readonly migrationId: string;
  readonly tenantId: TenantId;
  readonly control: Generation;
  readonly candidate: Generation;
  readonly matched: boolean;
  readonly controlMs: number;
  readonly candidateMs: number;
  /** Ids only one side returned (first page), when they differ. */
  readonly onlyControl: string[];
  readonly onlyCandidate: string[];
  readonly error?: string;
}

/** A migration's shadow-read totals: how many searches were compared, how many differed, and a few samples. */
export interface ShadowTotals {
  readonly compared: number;
  readonly mismatched: number;
  readonly controlAvgMs: number | null;
  readonly candidateAvgMs: number | null;
  readonly samples: unknown[];
}

/** Where shadow comparisons are counted, per migration (the control table on AWS and locally). */
export interface ShadowLedger {
  record(comparison: ShadowComparison): Promise<void>;
  totals(migrationId: string): Promise<ShadowTotals>;
}

export interface SearchServiceDeps {
  readonly tenantId: TenantId;
  readonly index: SearchIndex;
  readonly flags: StringFlagReader;
  readonly generations: () => Promise<GenerationView>;
  readonly cursors: () => Promise<CursorCodec>;
  readonly random: () => number;
  readonly nowMs: () => number;
  readonly recordShadow: (comparison: ShadowComparison) => Promise<void>;
}

export interface SearchResult {
  readonly items: SearchHit[];
  readonly nextCursor: string | null;
  readonly generation: Generation;
}

/** A tenant's search, ready to serve: what the search route calls. */
export interface TenantSearch {
  search(query: string, limit: number, cursor?: string): Promise<SearchResult>;
}

const scopeOf = (generation: Generation, query: string): `search:${string}` =>
  `search:${generation}:${createHash('sha256').update(query).digest('base64url').slice(0, 16)}`;

export async function searchTenant(deps: SearchServiceDeps, query: string, limit: number, cursor?: string): Promise<SearchResult> {
  const view = await deps.generations();
  const fallback = view.records.find((record) => record.status === 'serving')?.generation ?? view.write[0] ?? 'g1';
  const flagged = await deps.flags.getStringValue(READ_GENERATION_FLAG, fallback);
  // A flag that names a generation no longer written (dropped) must not break search: serve the fallback.
  const generation = view.write.includes(flagged) ? flagged : fallback;
  const codec = await deps.cursors();
  const scope = scopeOf(generation, query);
  const after = cursor === undefined ? undefined : codec.decode(deps.tenantId, scope, cursor);

  const candidate = cursor === undefined ? shadowCandidate(view, generation, deps.random) : undefined;
  const started = deps.nowMs();
  const controlRun = deps.index
    .search(generation, deps.tenantId, query, limit, after)
    .then((page) => ({ page, ms: deps.nowMs() - started }));
  const candidateRun = candidate
    ? deps.index.search(candidate.generation, deps.tenantId, query, limit).then(
        (page) => ({ page, ms: deps.nowMs() - started }),
        (error: unknown) => ({ error: (error as Error).message, ms: deps.nowMs() - started }),
      )
    : undefined;
  const control = await controlRun;
  if (candidate && candidateRun) {
    const shadow = await candidateRun;
    await deps
      .recordShadow(compare(deps.tenantId, candidate.migrationId, generation, candidate.generation, control, shadow))
      .catch(() => undefined);
  }
  return {
    items: control.page.hits,
    nextCursor: control.page.next === undefined ? null : codec.encode(deps.tenantId, scope, control.page.next),
    generation,
  };
}

function shadowCandidate(view: GenerationView, reading: Generation, random: () => number) {
  const candidate = view.records.find(
    (record) => record.generation !== reading && record.status !== 'dropped' && (record.shadowRate ?? 0) > 0 && record.migrationId,
  );
  if (!candidate || random() >= (candidate.shadowRate ?? 0)) return undefined;
  return { generation: candidate.generation, migrationId: candidate.migrationId as string };
}

function compare(
  tenantId: TenantId,
  migrationId: string,
  control: Generation,
  candidate: Generation,
  controlRun: { page: SearchPage; ms: number },
  candidateRun: { page: SearchPage; ms: number } | { error: string; ms: number },
): ShadowComparison {
  const base = { migrationId, tenantId, control, candidate, controlMs: controlRun.ms, candidateMs: candidateRun.ms };
  if ('error' in candidateRun) return { ...base, matched: false, onlyControl: [], onlyCandidate: [], error: candidateRun.error };
  // Ranking may legitimately differ between mappings; the same documents on the first page is the bar.
  const left = new Set(controlRun.page.hits.map((hit) => hit.id));
  const right = new Set(candidateRun.page.hits.map((hit) => hit.id));
  const onlyControl = [...left].filter((id) => !right.has(id));
  const onlyCandidate = [...right].filter((id) => !left.has(id));
  return { ...base, matched: onlyControl.length === 0 && onlyCandidate.length === 0, onlyControl, onlyCandidate };
}
