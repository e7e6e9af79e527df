// Reshaping search online (DESIGN.md §5): a new generation is created and written alongside the old one
// (dual-write in the indexer), every tenant is backfilled from DynamoDB with versions, verified id by id, and
// moved to the new generation through the `search.read-generation` flag one tenant at a time. The old generation
// keeps receiving writes until `complete`, so any tenant can be moved back instantly; it is dropped only after
// every tenant was cut over and the soak period passed. Every step is bounded and idempotent, and all progress
// lives in the control table, so the runner can be killed at any point and resumes without changing results.
// This file is the playbook the migration runner advances; the operator's commands are in index-migration-admin.ts.
import type { FlagAdmin } from '../flags/flag-admin.js';
import type { MigrationRecord, MigrationTenantRecord, Playbook, StepResult } from './migration-runner.js';
import type { Clock, ControlStore, MigrationStore, SearchGenerationStore } from '../ports.js';
import { READ_GENERATION_FLAG, type GenerationRecord } from '../search/search-generations.js';
import { toSearchDocument, type Generation, type SearchIndex, type SearchMapping } from '../search/search-index.js';
import type { TenantItemSource } from '../tenancy/tenant-items.js';
import type { ShardName, TenantId, TenantProfile } from '../tenancy/tenancy.js';
import { recheckVersions, rereadSource, sourceVersions } from './tenant-versions.js';
import { diffCounts, diffVersions, type Comparison, type VersionDiff } from './version-diff.js';

export const INDEX_MIGRATION_PHASES = [
  'planned',
  'copying',
  'verifying',
  'cutting-over',
  'soaking',
  'completing',
  'completed',
  'cancelling',
  'cancelled',
] as const;
export type IndexMigrationPhase = (typeof INDEX_MIGRATION_PHASES)[number];

export interface IndexMigrationParams {
  readonly from: Generation;
  readonly to: Generation;
  readonly mapping?: SearchMapping;
  readonly shadowRate: number;
  readonly soakSeconds: number;
  /** The current pass over the tenant listing (backfill or verify). */
  readonly pass?: TenantPass;
  /** Tenants when the migration began (new ones may join): the total its progress is measured against. */
  readonly tenantCount?: number;
  /** When the phase's waiting started (settling caches, soaking). */
  readonly since?: string;
}

export interface TenantPass {
  /** Tenants of the current listing page still to visit. */
  readonly queue: string[];
  /** Listing position of the next page. */
  readonly after?: string;
  readonly listed: boolean;
  readonly done?: boolean;
}

export type VerifyState = 'pending' | 'verified' | 'mismatched';

/**
 * A tenant's last verification. Every count is taken after the re-checks: an id that differed in the scan only
 * because a write was in flight, and was equal when read again, is matching, never mismatched.
 */
export interface TenantVerifyReport extends Omit<VersionDiff, 'differing'> {
  /** Ids that differed in the scan and were read again on both sides. */
  readonly rechecked: number;
  /** Documents copied again from the source because they still differed after the re-reads. */
  readonly repaired: number;
}

export interface TenantProgress {
  readonly shard: ShardName;
  /** Documents the backfill scan copied into the new generation, each page counted once however often it ran. */
  readonly backfilled: number;
  /** The tenant's documents estimated when its backfill began: the total its progress is measured against. */
  readonly estimated?: number;
  /** Where the backfill continues; saved together with `backfilled`, so a page run again is never counted twice. */
  readonly backfillCursor?: string;
  readonly backfillDone: boolean;
  /** `verified` only when the last verification left nothing differing (`mismatched`: something still did). */
  readonly verify: VerifyState;
  readonly diff?: TenantVerifyReport;
  readonly verifiedAt?: string;
  readonly cutOver: boolean;
  readonly cutOverAt?: string;
}

export interface IndexMigrationDeps {
  readonly store: MigrationStore;
  readonly generations: SearchGenerationStore;
  readonly search: SearchIndex;
  readonly control: Pick<ControlStore, 'listTenants' | 'getTenant'>;
  readonly items: (shard: ShardName) => TenantItemSource;
  readonly flags: Pick<FlagAdmin, 'set' | 'get' | 'allow' | 'unpin'>;
  readonly clock: Clock;
  /** How long every instance may keep serving cached generations and flags: wait this long before relying on a change. */
  readonly settleSeconds: number;
  /** Items per backfill step. */
  readonly pageSize: number;
  /** Tenants verified per step. */
  readonly verifyBatch?: number;
  /** Refuses to start or cut over while the engine is unhealthy (OpenSearch domain checks on AWS). */
  readonly preflight?: () => Promise<string[]>;
  readonly sleep: (ms: number) => Promise<void>;
  /** First pause before re-reading ids that differed (then twice, then three times as long). @default 500 */
  readonly recheckDelayMs?: number;
}

/** Re-reads of differing ids per verification, with a growing pause so in-flight jobs can land. */
const RECHECKS = 3;
const RECHECK_DELAY_MS = 500;

export const migrationIdFor = (to: Generation): string => `search-${to}`;
/** Who the migration's flag changes are recorded as. */
export const INDEX_MIGRATION_PRINCIPAL = 'index-migration';
const TENANT_PAGE = 100;

export type IndexMigrationRecord = MigrationRecord<IndexMigrationParams>;
export type IndexMigrationTenant = MigrationTenantRecord<TenantProgress>;

/** Per-tenant progress rows and the tenant listing, as the playbook and the operator commands both use them. */
export function migrationProgress(deps: Pick<IndexMigrationDeps, 'store' | 'control'>) {
  return {
    async get(id: string, tenantId: string): Promise<IndexMigrationTenant | undefined> {
      return (await deps.store.getTenant(id, tenantId)) as IndexMigrationTenant | undefined;
    },

    async put(id: string, tenantId: string, before: IndexMigrationTenant | undefined, data: TenantProgress): Promise<IndexMigrationTenant> {
      const row = { migrationId: id, tenantId, data, version: (before?.version ?? 0) + 1 };
      if (!(await deps.store.putTenant(row, before?.version ?? 0)))
        throw new Error(`tenant ${tenantId} progress changed concurrently; the step will be retried`);
      return row;
    },

    async all(id: string): Promise<IndexMigrationTenant[]> {
      return (await deps.store.listTenants(id)) as unknown as IndexMigrationTenant[];
    },

    async tenantIds(): Promise<string[]> {
      const ids: string[] = [];
      let after: string | undefined;
      do {
        const page = await deps.control.listTenants(TENANT_PAGE, after);
        ids.push(...page.items.map((profile) => profile.tenantId as string));
        after = page.next;
      } while (after !== undefined);
      return ids;
    },
  };
}

type Record_ = IndexMigrationRecord;

export function indexMigrationPlaybook(deps: IndexMigrationDeps): Playbook<IndexMigrationParams> {
  const now = () => deps.clock.now();
  const secondsSince = (iso: string | undefined) => (iso ? (now().getTime() - Date.parse(iso)) / 1000 : Infinity);
  const { get: progress, put: putProgress, all: progressOf, tenantIds: allTenantIds } = migrationProgress(deps);

  async function setGeneration(record: GenerationRecord, change: Partial<GenerationRecord>): Promise<void> {
    const next = { ...record, ...change, version: record.version + 1 };
    if (!(await deps.generations.put(next, record.version)))
      throw new Error(`generation ${record.generation} changed concurrently; retrying`);
  }

  async function generation(name: Generation): Promise<GenerationRecord | undefined> {
    return (await deps.generations.list()).find((record) => record.generation === name);
  }

  /** The next tenant of the current pass over the tenant listing (fetching the next page when needed). */
  async function nextTenant(params: IndexMigrationParams): Promise<{ tenant?: string; params: IndexMigrationParams }> {
    let pass: TenantPass = params.pass ?? { queue: [], listed: false };
    while (!pass.done && pass.queue.length === 0) {
      if (pass.listed && pass.after === undefined) {
        pass = { queue: [], listed: true, done: true };
        break;
      }
      const page = await deps.control.listTenants(TENANT_PAGE, pass.after);
      pass = {
        queue: page.items.map((profile) => profile.tenantId as string),
        listed: true,
        ...(page.next === undefined ? {} : { after: page.next }),
      };
    }
    return { ...(pass.done ? {} : { tenant: pass.queue[0] }), params: { ...params, pass } };
  }

  const popTenant = (params: IndexMigrationParams): IndexMigrationParams =>
    params.pass ? { ...params, pass: { ...params.pass, queue: params.pass.queue.slice(1) } } : params;

  const passFinished = (params: IndexMigrationParams) => params.pass?.done === true;

  /**
   * Copies the next page of one tenant's backfill and saves the count with the cursor in one conditional write, so
   * progress moves page by page and a page copied again after a crash is not counted again.
   */
  async function backfillPage(
    record: Record_,
    profile: TenantProfile,
    before: IndexMigrationTenant | undefined,
  ): Promise<IndexMigrationTenant> {
    // A tenant that moved shard since its backfill began starts again: the cursor belongs to the other shard.
    const resumed = before?.data.shard === profile.shard ? before.data : undefined;
    const items = deps.items(profile.shard);
    const estimated = resumed?.estimated ?? (await items.estimate(profile.tenantId));
    const page = await items.page(profile.tenantId, resumed?.backfillCursor, deps.pageSize);
    const documents = page.items.flatMap((item) => toSearchDocument(item) ?? []);
    if (documents.length > 0) await deps.search.bulkUpsert(record.params.to, documents);
    return putProgress(record.id, profile.tenantId, before, {
      shard: profile.shard,
      estimated,
      backfilled: (resumed?.backfilled ?? 0) + documents.length,
      ...(page.cursor === undefined ? {} : { backfillCursor: page.cursor }),
      backfillDone: page.cursor === undefined,
      verify: 'pending',
      cutOver: before?.data.cutOver ?? false,
    });
  }

  async function backfillStep(record: Record_): Promise<StepResult<IndexMigrationParams>> {
    const { params } = record;
    if (passFinished(params)) return { phase: 'verifying', params: { ...params, pass: undefined } };
    const { tenant, params: moved } = await nextTenant(params);
    if (!tenant) return { phase: 'verifying', params: { ...moved, pass: undefined } };
    const before = await progress(record.id, tenant);
    const profile = await deps.control.getTenant(tenant as TenantId);
    if (!profile || before?.data.backfillDone) return { phase: 'copying', params: popTenant(moved) };
    const after = await backfillPage(record, profile, before);
    return { phase: 'copying', params: after.data.backfillDone ? popTenant(moved) : moved };
  }

  /**
   * Verifies one tenant: a full id + version scan of both sides, then the ids that differed are re-read on both
   * sides after the pipeline had a moment to deliver in-flight changes; what still differs is copied again from
   * the source (version-guarded, so a concurrent newer write still wins) and read once more. The report counts
   * each id as it stood at its last read, so `verified` and a difference can never be shown together.
   */
  async function verifyTenant(record: Record_, tenantId: string): Promise<void> {
    const profile = await deps.control.getTenant(tenantId as TenantId);
    if (!profile) return;
    const to = record.params.to;
    let before = await progress(record.id, tenantId);
    // A tenant created after the backfill pass: what it has arrived through dual-write, but copy anyway.
    while (!before?.data.backfillDone) before = await backfillPage(record, profile, before);
    const diff = diffVersions(
      await sourceVersions(deps.items(profile.shard), profile.tenantId),
      await deps.search.scanVersions(to, profile.tenantId),
    );
    const outcome = new Map<string, Comparison>();
    let differing = diff.differing;
    let repaired = 0;
    for (let attempt = 0; differing.length > 0 && attempt < RECHECKS; attempt++) {
      await deps.sleep((deps.recheckDelayMs ?? RECHECK_DELAY_MS) * (attempt + 1));
      const source = await rereadSource(deps.items(profile.shard), profile.tenantId, differing);
      if (attempt === RECHECKS - 1) {
        const repairs = source.flatMap((item) => (item ? (toSearchDocument(item) ?? []) : []));
        if (repairs.length > 0) repaired += (await deps.search.bulkUpsert(to, repairs)).filter((result) => result === 'applied').length;
      }
      for (const [id, comparison] of await recheckVersions(deps.search, to, profile.tenantId, differing, source))
        outcome.set(id, comparison);
      differing = differing.filter((id) => !['matching', 'absent'].includes(outcome.get(id) as Comparison));
    }
    const report = settledReport(diff, outcome, { rechecked: diff.differing.length, repaired });
    const verified = report.mismatched + report.missing + report.extra === 0;
    await putProgress(record.id, tenantId, before, {
      ...before.data,
      shard: profile.shard,
      verify: verified ? 'verified' : 'mismatched',
      diff: report,
      ...(verified ? { verifiedAt: now().toISOString() } : {}),
    });
  }

  async function verifyStep(record: Record_): Promise<StepResult<IndexMigrationParams>> {
    const { params } = record;
    if (passFinished(params)) {
      const tenants = await progressOf(record.id);
      const open = tenants.filter((tenant) => tenant.data.verify !== 'verified');
      if (record.phase === 'verifying' && open.length === 0) return { phase: 'cutting-over', params: { ...params, pass: undefined } };
      // Another pass verifies what differed and any tenant created meanwhile; a tenant that keeps differing stays
      // "mismatched" (and cannot be cut over) until a pass finds it equal.
      return { phase: record.phase, params: { ...params, pass: undefined }, waitSeconds: open.length > 0 ? 2 : 5 };
    }
    let cursor = params;
    for (let n = 0; n < (deps.verifyBatch ?? 5); n++) {
      const { tenant, params: moved } = await nextTenant(cursor);
      if (!tenant) return { phase: record.phase, params: moved };
      const state = (await progress(record.id, tenant))?.data;
      if (state?.verify !== 'verified') await verifyTenant(record, tenant);
      cursor = popTenant(moved);
      if (passFinished(cursor)) break;
    }
    return { phase: record.phase, params: cursor };
  }

  const playbook: Playbook<IndexMigrationParams> = {
    kind: 'search-index',
    async step(record) {
      const { params } = record;
      switch (record.phase as IndexMigrationPhase) {
        case 'planned': {
          await deps.search.ensureGeneration(params.to, params.mapping);
          const existing = await generation(params.to);
          if (!existing)
            await deps.generations.put(
              {
                generation: params.to,
                status: 'building',
                version: 1,
                createdAt: now().toISOString(),
                shadowRate: params.shadowRate,
                migrationId: record.id,
                ...(params.mapping ? { mapping: params.mapping } : {}),
              },
              0,
            );
          const from = await generation(params.from);
          if (!from)
            await deps.generations.put({ generation: params.from, status: 'serving', version: 1, createdAt: now().toISOString() }, 0);
          await ensureReadFlag(params);
          return { phase: 'copying', params: { ...params, tenantCount: (await allTenantIds()).length, since: now().toISOString() } };
        }
        case 'copying': {
          // Dual-write is on once every indexer instance has re-read the registry; only then is a backfill complete.
          const settle = deps.settleSeconds - secondsSince(params.since);
          if (settle > 0) return { phase: 'copying', params, waitSeconds: Math.ceil(settle) };
          return backfillStep(record);
        }
        case 'verifying':
        case 'cutting-over': {
          // The cutover command starts the soak itself; this catches a tenant created or removed meanwhile.
          if (
            record.phase === 'cutting-over' &&
            passFinished(params) &&
            everyTenantCutOver(await allTenantIds(), await progressOf(record.id))
          )
            return { phase: 'soaking', params: soakFrom(params, now()) };
          return verifyStep(record);
        }
        case 'soaking': {
          const remaining = params.soakSeconds - secondsSince(params.since);
          return { phase: 'soaking', params, waitSeconds: remaining > 0 ? Math.ceil(remaining) : 30 };
        }
        case 'completing': {
          const to = await generation(params.to);
          if (to && (to.status !== 'serving' || to.shadowRate)) await setGeneration(to, { status: 'serving', shadowRate: 0 });
          const from = await generation(params.from);
          if (from && from.status !== 'dropped') {
            await setGeneration(from, { status: 'dropped' });
            return { phase: 'completing', params: { ...params, since: now().toISOString() }, waitSeconds: deps.settleSeconds };
          }
          const flag = await deps.flags.get(READ_GENERATION_FLAG);
          if (flag.definition.defaultVariant !== params.to || Object.keys(flag.overlay.pins).length > 0) {
            await deps.flags.set(
              READ_GENERATION_FLAG,
              { state: 'ENABLED', variants: { [params.to]: params.to }, defaultVariant: params.to },
              { principal: INDEX_MIGRATION_PRINCIPAL, reason: `${record.id} completed` },
            );
            const pinned = Object.keys((await deps.flags.get(READ_GENERATION_FLAG)).overlay.pins);
            if (pinned.length > 0) await deps.flags.unpin(READ_GENERATION_FLAG, pinned, { principal: INDEX_MIGRATION_PRINCIPAL });
          }
          const waited = secondsSince(params.since);
          if (waited < deps.settleSeconds) return { phase: 'completing', params, waitSeconds: Math.ceil(deps.settleSeconds - waited) };
          await deps.search.dropGeneration(params.from);
          return { phase: 'completed', params };
        }
        case 'cancelling': {
          const to = await generation(params.to);
          if (to && to.status !== 'dropped') {
            await setGeneration(to, { status: 'dropped', shadowRate: 0 });
            await deps.flags.set(
              READ_GENERATION_FLAG,
              { state: 'ENABLED', variants: { [params.from]: params.from }, defaultVariant: params.from },
              { principal: INDEX_MIGRATION_PRINCIPAL, reason: `${record.id} cancelled` },
            );
            return { phase: 'cancelling', params: { ...params, since: now().toISOString() }, waitSeconds: deps.settleSeconds };
          }
          const waited = secondsSince(params.since);
          if (waited < deps.settleSeconds) return { phase: 'cancelling', params, waitSeconds: Math.ceil(deps.settleSeconds - waited) };
          await deps.search.dropGeneration(params.to);
          return { phase: 'cancelled', params };
        }
        default:
          return { phase: record.phase, params };
      }
    },
  };

  async function ensureReadFlag(params: IndexMigrationParams): Promise<void> {
    const flag = await deps.flags.get(READ_GENERATION_FLAG).catch(() => undefined);
    if (flag && params.to in flag.definition.variants && flag.definition.defaultVariant === params.from) return;
    await deps.flags.set(
      READ_GENERATION_FLAG,
      { state: 'ENABLED', variants: { [params.from]: params.from, [params.to]: params.to }, defaultVariant: params.from },
      { principal: INDEX_MIGRATION_PRINCIPAL, reason: `search migration to ${params.to}` },
    );
  }

  return playbook;
}

/** The soak starts once every tenant reads the new generation. */
export function everyTenantCutOver(tenantIds: readonly string[], rows: readonly IndexMigrationTenant[]): boolean {
  const cut = new Set(rows.filter((row) => row.data.cutOver).map((row) => row.tenantId));
  return tenantIds.every((tenant) => cut.has(tenant));
}

/** The migration's state as its soak begins (`since` is when the soak period started). */
export const soakFrom = (params: IndexMigrationParams, at: Date): IndexMigrationParams => ({
  ...params,
  pass: undefined,
  since: at.toISOString(),
});

/** The final counts of a verification: the scan's, with every differing id counted as it stood when last re-read. */
function settledReport(
  scan: VersionDiff,
  /** Every id that differed in the scan, as its last re-check found it. */
  outcome: ReadonlyMap<string, Comparison>,
  recheck: { readonly rechecked: number; readonly repaired: number },
): TenantVerifyReport {
  const differing = { mismatched: [] as string[], missing: [] as string[], extra: [] as string[] };
  let matching = scan.matching;
  for (const id of scan.differing) {
    const comparison = outcome.get(id) as Comparison;
    if (comparison === 'matching') matching++;
    else if (comparison !== 'absent') differing[comparison].push(id);
  }
  return { ...diffCounts(matching, differing), ...recheck };
}
