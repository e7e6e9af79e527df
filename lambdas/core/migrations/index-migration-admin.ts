// Operator commands on a search migration: start, cut tenants over (or back), complete after the soak, cancel
// before any cutover, and the status and generations views. A tenant is cut over only once verified, and cancel is
// refused once any tenant reads the new generation. Every refusal says why and what to do next; a command that
// changes the migration record does so with a version check, so it is never lost to a runner step computed from
// an older copy. `indexMigration` hands the platform these commands together with the playbook (index-migration.ts).
import { Problem } from '../problems.js';
import { fnv1a32 } from '../fnv-hash.js';
import { advance, newMigration } from './migration-runner.js';
import { generationNumber, generationView, READ_GENERATION_FLAG } from '../search/search-generations.js';
import type { Generation, SearchMapping } from '../search/search-index.js';
import {
  everyTenantCutOver,
  INDEX_MIGRATION_PRINCIPAL,
  indexMigrationPlaybook,
  migrationIdFor,
  migrationProgress,
  soakFrom,
  type IndexMigrationDeps,
  type IndexMigrationParams,
  type IndexMigrationRecord,
  type IndexMigrationTenant,
  type TenantProgress,
} from './index-migration.js';
import { indexMigrationProgress, soakEndsAt } from './index-migration-progress.js';
import type { MigrationProgress } from './migration-progress.js';

type Record_ = IndexMigrationRecord;

export interface CutoverResult {
  readonly migrationId: string;
  readonly cutOver: string[];
  readonly alreadyCutOver: string[];
  /** The migration's phase after the cutover: `soaking` once every tenant reads the new generation. */
  readonly phase: string;
  readonly progress: MigrationProgress;
}

export interface RollbackResult {
  readonly migrationId: string;
  readonly rolledBack: string[];
  readonly phase: string;
  readonly progress: MigrationProgress;
}

export function indexMigrationAdmin(deps: IndexMigrationDeps) {
  const now = () => deps.clock.now();
  const secondsSince = (iso: string | undefined) => (iso ? (now().getTime() - Date.parse(iso)) / 1000 : Infinity);
  const { get: progress, put: putProgress, all: progressOf, tenantIds: allTenantIds } = migrationProgress(deps);
  const progressNow = (record: Record_, rows: readonly IndexMigrationTenant[]) =>
    indexMigrationProgress(record, rows, { now: now(), settleSeconds: deps.settleSeconds });

  async function active(): Promise<Record_ | undefined> {
    const all = (await deps.store.list('search-index')) as unknown as Record_[];
    return all.find((record) => !['completed', 'cancelled'].includes(record.phase));
  }

  async function require(id?: string): Promise<Record_> {
    const record = id ? ((await deps.store.get(id)) as Record_ | undefined) : await active();
    if (!record || record.kind !== 'search-index')
      throw new Problem(
        'not-found',
        'No search migration is in progress. Start one with `headroom search migrate start --to <generation>`.',
      );
    return record;
  }

  /**
   * Applies an operator's change to the current migration record. A runner step may save the record at the same
   * moment; the change is then re-checked against the newer record and applied again (a few times at most).
   */
  async function operatorChange(change: (record: Record_) => { phase: string; params: IndexMigrationParams } | Record_): Promise<Record_> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await require();
      const result = change(record);
      if ('version' in result) return result;
      const next = advance(record, result, now());
      if (await deps.store.save(next, record.version)) return next;
    }
    throw new Problem('conflict', 'The migration kept changing while your command ran. Run the command again.');
  }

  async function refuseIfUnhealthy(action: string): Promise<void> {
    const problems = (await deps.preflight?.()) ?? [];
    if (problems.length > 0)
      throw new Problem(
        'migration-not-ready',
        `Cannot ${action} now: ${problems.join('; ')}. Wait until the search domain is healthy and try again.`,
        { problems },
      );
  }

  return {
    async start(input: { to: Generation; mapping?: SearchMapping; shadowRate: number; soakSeconds: number }): Promise<Record_> {
      const running = await active();
      if (running) throw new Problem('conflict', `Search migration ${running.id} is in phase ${running.phase}; finish or cancel it first.`);
      const view = generationView(await deps.generations.list());
      const serving = view.records.find((record) => record.status === 'serving') ?? view.records[0];
      const from = serving?.generation ?? 'g1';
      if (view.records.some((record) => record.generation === input.to) || (await deps.store.get(migrationIdFor(input.to))))
        throw new Problem(
          'conflict',
          `Generation ${input.to} already exists or was used before; pick a new one (e.g. g${generationNumber(from) + 1}).`,
        );
      if (generationNumber(input.to) <= generationNumber(from))
        throw new Problem(
          'validation-failed',
          `The new generation must be after the serving one (${from}); try g${generationNumber(from) + 1}.`,
        );
      await refuseIfUnhealthy('start a search migration');
      const record = newMigration<IndexMigrationParams>(
        migrationIdFor(input.to),
        'search-index',
        'planned',
        {
          from,
          to: input.to,
          shadowRate: input.shadowRate,
          soakSeconds: input.soakSeconds,
          ...(input.mapping ? { mapping: input.mapping } : {}),
        },
        now(),
      );
      if (!(await deps.store.create(record))) throw new Problem('conflict', `Migration ${record.id} already exists.`);
      return record;
    },

    /** Moves reads of the given tenants (or a sticky percentage of all tenants) to the new generation. */
    async cutover(selection: { tenants?: string[]; percent?: number }): Promise<CutoverResult> {
      const record = await require();
      if (!['verifying', 'cutting-over', 'soaking'].includes(record.phase))
        throw new Problem(
          'migration-not-ready',
          `Cutover is possible once tenants are verified; the migration is ${record.phase}. Check \`headroom search migrate status\`.`,
        );
      await refuseIfUnhealthy('cut over');
      const everyone = await allTenantIds();
      const chosen = selection.tenants ?? percentOf(everyone, selection.percent ?? 0);
      const unknown = chosen.filter((tenant) => !everyone.includes(tenant));
      if (unknown.length > 0)
        throw new Problem('not-found', `Unknown tenant(s): ${unknown.join(', ')}. Check the ids with \`headroom tenants list\`.`);
      const states = await Promise.all(chosen.map(async (tenant) => ({ tenant, progress: await progress(record.id, tenant) })));
      const unverified = states.filter((state) => state.progress?.data.verify !== 'verified');
      if (unverified.length > 0)
        throw new Problem(
          'migration-not-ready',
          `Not verified yet: ${unverified.map((state) => `${state.tenant} (${state.progress?.data.verify ?? 'not backfilled'})`).join(', ')}. Nothing was cut over; wait for verification (\`headroom search migrate status\`) and try again.`,
          { unverified: unverified.map((state) => state.tenant) },
        );
      const fresh = states.filter((state) => !state.progress?.data.cutOver).map((state) => state.tenant);
      if (fresh.length > 0) {
        await deps.flags.allow(READ_GENERATION_FLAG, fresh, {
          principal: INDEX_MIGRATION_PRINCIPAL,
          variant: record.params.to,
          reason: `${record.id} cutover`,
        });
        for (const state of states.filter((s) => fresh.includes(s.tenant))) {
          const before = await progress(record.id, state.tenant);
          await putProgress(record.id, state.tenant, before, {
            ...(before?.data as TenantProgress),
            cutOver: true,
            cutOverAt: now().toISOString(),
          });
        }
      }
      // The soak starts with the cutover that completes the set, not on a later runner step.
      const rows = await progressOf(record.id);
      const after = everyTenantCutOver(everyone, rows)
        ? await operatorChange((current) =>
            ['verifying', 'cutting-over'].includes(current.phase) ? { phase: 'soaking', params: soakFrom(current.params, now()) } : current,
          )
        : record;
      return {
        migrationId: record.id,
        cutOver: fresh,
        alreadyCutOver: chosen.filter((tenant) => !fresh.includes(tenant)),
        phase: after.phase,
        progress: progressNow(after, rows),
      };
    },

    /** Moves reads of the given tenants back to the old generation (possible until `complete`). */
    async rollback(tenants: string[]): Promise<RollbackResult> {
      const record = await require();
      if (!['verifying', 'cutting-over', 'soaking'].includes(record.phase))
        throw new Problem('migration-not-ready', `Nothing to roll back: the migration is ${record.phase}.`);
      await deps.flags.unpin(READ_GENERATION_FLAG, tenants, { principal: INDEX_MIGRATION_PRINCIPAL, reason: `${record.id} rollback` });
      for (const tenant of tenants) {
        const before = await progress(record.id, tenant);
        if (before?.data.cutOver) {
          const { cutOverAt: _at, ...rest } = before.data;
          await putProgress(record.id, tenant, before, { ...rest, cutOver: false });
        }
      }
      const after = await operatorChange((current) =>
        current.phase === 'soaking' ? { phase: 'cutting-over', params: { ...current.params, pass: undefined } } : current,
      );
      return { migrationId: record.id, rolledBack: tenants, phase: after.phase, progress: progressNow(after, await progressOf(after.id)) };
    },

    async complete(): Promise<Record_> {
      const current = await require();
      if (!['soaking', 'completing'].includes(current.phase)) {
        // Say what the migration waits for: the tenants still reading the old generation, and the command that moves them.
        const everyone = await allTenantIds();
        const rows = await progressOf(current.id);
        const cut = new Set(rows.filter((row) => row.data.cutOver).map((row) => row.tenantId));
        const waiting = everyone.filter((tenant) => !cut.has(tenant));
        const next = progressNow(current, rows).next;
        throw new Problem(
          'migration-not-ready',
          `Complete is possible once every tenant reads ${current.params.to} and the soak has passed; the migration is ${current.phase}${
            waiting.length > 0
              ? ` and ${waiting.length} tenant(s) still read ${current.params.from} (${waiting.slice(0, 10).join(', ')}${waiting.length > 10 ? ', …' : ''})`
              : ''
          }. Next: \`${next.command}\`.`,
          { waitingFor: waiting },
        );
      }
      return operatorChange((record) => {
        if (record.phase === 'completing') return record;
        if (record.phase !== 'soaking')
          throw new Problem(
            'migration-not-ready',
            `The migration moved to ${record.phase} meanwhile; check \`headroom search migrate status\`.`,
          );
        const remaining = record.params.soakSeconds - secondsSince(record.params.since);
        if (remaining > 0)
          throw new Problem(
            'migration-not-ready',
            `Still soaking for ${Math.ceil(remaining)} s (until ${soakEndsAt(record)}); the old generation stays until then. Try again later.`,
            { retryAfterSeconds: Math.ceil(remaining) },
          );
        return { phase: 'completing', params: { ...record.params, since: undefined } };
      });
    },

    async cancel(): Promise<Record_> {
      const record = await require();
      const cut = (await progressOf(record.id)).filter((tenant) => tenant.data.cutOver);
      if (cut.length > 0 || ['soaking', 'completing'].includes(record.phase))
        throw new Problem(
          'migration-not-ready',
          `Cancel is only possible before any cutover; ${cut.length} tenant(s) read the new generation. Roll them back first (\`headroom search migrate rollback --tenants …\`).`,
        );
      return operatorChange((current) =>
        current.phase === 'cancelling' ? current : { phase: 'cancelling', params: { ...current.params, since: undefined } },
      );
    },

    async status(id?: string) {
      const record = await require(id).catch(async (error: unknown) => {
        const latest = ((await deps.store.list('search-index')) as unknown as Record_[]).at(-1);
        if (latest) return latest;
        throw error;
      });
      const tenants = (await progressOf(record.id)).sort((a, b) => a.tenantId.localeCompare(b.tenantId));
      return { migration: record, tenants, progress: progressNow(record, tenants) };
    },

    async generations() {
      return generationView(await deps.generations.list()).records;
    },
  };
}

/** A sticky share of tenants: ordered by a hash of their id, so raising the percentage only ever adds tenants. */
export function percentOf(tenants: readonly string[], percent: number): string[] {
  const count = Math.ceil((tenants.length * percent) / 100);
  return [...tenants].sort((a, b) => fnv1a32(a) - fnv1a32(b) || a.localeCompare(b)).slice(0, count);
}

/** A search migration as the platform composes it: the playbook the runner advances and the operator's commands. */
export function indexMigration(deps: IndexMigrationDeps) {
  return { playbook: indexMigrationPlaybook(deps), ...indexMigrationAdmin(deps) };
}

export type IndexMigration = ReturnType<typeof indexMigration>;
