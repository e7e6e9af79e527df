// The one runner behind every online migration (search index generations, tenant moves between shards). A
// migration advances only through bounded, idempotent steps whose result is saved with a version check, so a
// crash at any point resumes from the last saved step, and an operator command that changed the record in the
// meantime (cutover, cancel, …) is never overwritten by a step computed from a stale copy.
import type { Clock, MigrationStore } from '../ports.js';

export type MigrationKind = 'search-index' | 'tenant-move';

/** The shared lifecycle (DESIGN.md §5); a playbook may add finer phases between these. */
export const TERMINAL_PHASES = ['completed', 'cancelled', 'reversed'] as const;
export type TerminalPhase = (typeof TERMINAL_PHASES)[number];

export interface MigrationRecord<P = Record<string, unknown>> {
  readonly id: string;
  readonly kind: MigrationKind;
  readonly phase: string;
  /** Playbook-owned state (cursors, per-phase data), plain JSON. */
  readonly params: P;
  /** Optimistic concurrency: every save expects the version it read. */
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** When each phase was entered. */
  readonly phaseTimestamps: Readonly<Record<string, string>>;
  readonly lastError?: string;
}

export interface MigrationTenantRecord<D = Record<string, unknown>> {
  readonly migrationId: string;
  readonly tenantId: string;
  readonly data: D;
  readonly version: number;
}

export interface StepResult<P> {
  readonly phase: string;
  readonly params: P;
  /** Nothing to do for now (soaking, waiting for lag to drop): ask to be stepped again after this long. */
  readonly waitSeconds?: number;
}

export interface Playbook<P = Record<string, unknown>> {
  readonly kind: MigrationKind;
  /** One bounded unit of work from `record`'s state. Must be safe to run again if its result is never saved. */
  step(record: MigrationRecord<P>): Promise<StepResult<P>>;
}

export interface RunnerDeps {
  readonly store: MigrationStore;
  readonly playbooks: readonly Playbook<never>[];
  readonly clock: Clock;
  /** Stop stepping once this much time has passed (a Lambda's remaining time, minus a margin); one step always runs. */
  readonly budgetMs: number;
  /** Called after every saved step (progress lines locally, logs on AWS). */
  readonly onStep?: (record: MigrationRecord) => void;
}

export type RunOutcome =
  | { readonly status: 'done'; readonly record: MigrationRecord }
  | { readonly status: 'waiting'; readonly record: MigrationRecord; readonly waitSeconds: number }
  | { readonly status: 'budget-spent'; readonly record: MigrationRecord }
  | { readonly status: 'missing' };

export const isTerminal = (phase: string): boolean => (TERMINAL_PHASES as readonly string[]).includes(phase);

/** Advances migration `id` until it finishes, asks to wait, or the time budget is spent. */
export async function runMigrationSteps(id: string, deps: RunnerDeps): Promise<RunOutcome> {
  const started = deps.clock.now().getTime();
  for (;;) {
    const record = await deps.store.get(id);
    if (!record) return { status: 'missing' };
    if (isTerminal(record.phase)) return { status: 'done', record };
    const playbook = deps.playbooks.find((candidate) => candidate.kind === record.kind) as Playbook | undefined;
    if (!playbook) throw new Error(`no playbook for migration kind ${record.kind}`);

    let result: StepResult<Record<string, unknown>>;
    try {
      result = await playbook.step(record);
    } catch (error) {
      // The step's work is idempotent, so the error is recorded and the next run simply tries the step again.
      await deps.store.save(
        { ...record, lastError: (error as Error).message, updatedAt: deps.clock.now().toISOString(), version: record.version + 1 },
        record.version,
      );
      throw error;
    }
    const next = advance(record, result, deps.clock.now());
    // A false save means someone (an operator command, another runner) changed the record: re-read and go on.
    if (!(await deps.store.save(next, record.version))) continue;
    deps.onStep?.(next);
    if (result.waitSeconds !== undefined && result.waitSeconds > 0 && !isTerminal(next.phase))
      return { status: 'waiting', record: next, waitSeconds: result.waitSeconds };
    // At least one step per run, so even a tiny budget makes progress.
    if (!isTerminal(next.phase) && deps.clock.now().getTime() - started >= deps.budgetMs) return { status: 'budget-spent', record: next };
  }
}

/** The record after a step or an operator command moved it on: version +1, phase entry time kept. */
export function advance<P>(record: MigrationRecord<P>, result: { phase: string; params: P }, now: Date): MigrationRecord<P> {
  const at = now.toISOString();
  const { lastError: _cleared, ...rest } = record;
  return {
    ...rest,
    phase: result.phase,
    params: result.params,
    version: record.version + 1,
    updatedAt: at,
    phaseTimestamps: result.phase === record.phase ? record.phaseTimestamps : { ...record.phaseTimestamps, [result.phase]: at },
  };
}

/** A new migration record in its first phase. */
export function newMigration<P>(id: string, kind: MigrationKind, phase: string, params: P, now: Date): MigrationRecord<P> {
  const at = now.toISOString();
  return { id, kind, phase, params, version: 1, createdAt: at, updatedAt: at, phaseTimestamps: { [phase]: at } };
}
