// Continuous repair of derived data (anti-entropy): a paced pass walks every tenant, compares the source of truth
// with each derived view (search documents of every write generation; usage counts per tenant-minute) and repairs
// what still differs after a re-read. Repairs never overwrite newer data: search writes are version-guarded, and a
// usage counter is set only if it still holds the value the pass read. A pass saves its cursor after every tenant,
// so it resumes after a crash without counting a tenant twice; what a pass could not repair is remembered, and a
// tenant divergent in two passes in a row is what pages.
import * as z from 'zod';
import { minuteOf } from '../jobs/usage-meter.js';
import type { JobKind } from '../jobs/jobs.js';
import { recheckVersions, rereadSource, sourceVersions } from '../migrations/tenant-versions.js';
import { diffVersions, type Comparison } from '../migrations/version-diff.js';
import type { Clock, ControlStore, MinuteUsage } from '../ports.js';
import { Problem } from '../problems.js';
import { toSearchDocument, type Generation, type SearchIndex, type VersionEntry } from '../search/search-index.js';
import type { ShardItem, TenantItemSource } from '../tenancy/tenant-items.js';
import { tenantIdSchema, type ShardName, type TenantId } from '../tenancy/tenancy.js';
import { createPacer, type Pacer } from './repair-pacer.js';
import { REPAIR_VIEWS, type RepairSettings, type RepairView } from './repair-settings.js';

export { REPAIR_VIEWS, type RepairView } from './repair-settings.js';

/** What one view of one pass found. */
export interface ViewTally {
  /** Documents (search) or tenant-minutes (usage) compared. */
  readonly checked: number;
  /** Differing after the re-read (in-flight changes that landed meanwhile are not counted). */
  readonly found: number;
  readonly repaired: number;
  /** Still differing after the repair (a newer document in the index, a counter that kept moving, a live extra). */
  readonly divergent: number;
}

export interface RepairCursor {
  /** Tenants of the current listing page still to check; the first is the one in progress. */
  readonly queue: string[];
  readonly after?: string;
  readonly listed: boolean;
}

export type RepairTrigger = 'scheduled' | 'requested';
export type RepairPassStatus = 'pending' | 'running' | 'completed';

export interface RepairPass {
  /** Time-ordered: the compact request time, a dash and a random suffix. */
  readonly id: string;
  readonly trigger: RepairTrigger;
  readonly views: readonly RepairView[];
  /** A run for one tenant only. */
  readonly tenant?: string;
  readonly status: RepairPassStatus;
  readonly requestedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly cursor: RepairCursor;
  readonly tenantsChecked: number;
  /** Source items read (what pacing limits). */
  readonly itemsRead: number;
  readonly tallies: Readonly<Partial<Record<RepairView, ViewTally>>>;
  /** Tenants left divergent, per view (capped at DIVERGENT_TENANT_LIMIT). */
  readonly divergentTenants: Readonly<Partial<Record<RepairView, string[]>>>;
  /** Tenants divergent in this pass and in the previous pass of the view: set when the pass completes. */
  readonly persistent?: Readonly<Partial<Record<RepairView, number>>>;
  readonly version: number;
}

/** Repair passes in the control table; a save is conditional on the version read, so two runners never both advance one. */
export interface RepairPassStore {
  /** Every retained pass, oldest first. */
  list(): Promise<RepairPass[]>;
  put(pass: RepairPass, expectedVersion: number): Promise<boolean>;
}

export interface MinuteCounts {
  readonly conversations: number;
  readonly comments: number;
}

/** The usage meter's dedup marker of an item's creation: its insert job's kind, key and version. */
export interface CreationMark {
  readonly kind: JobKind;
  readonly key: string;
  readonly v: number;
}

/** The usage counters as the reconciler reads and repairs them (the usage meter's store). */
export interface UsageRepairStore {
  tenantUsage(tenantId: TenantId, fromMinute: string, toMinute: string): Promise<MinuteUsage[]>;
  /**
   * Marks every creation as counted (so its insert job, arriving later, counts nothing), then sets the minute's
   * counts to `want` only if they still are `seen` (undefined: no counter row). False when the counter moved.
   */
  repairMinute(
    tenantId: TenantId,
    minute: string,
    seen: MinuteCounts | undefined,
    want: MinuteCounts,
    creations: readonly CreationMark[],
  ): Promise<boolean>;
}

/** Published per view: tenant ids go in metadata, never in a dimension. */
export interface RepairReporter {
  tenantChecked(view: RepairView, tenantId: string, repaired: number, divergent: number): void;
  passCompleted(view: RepairView, persistentTenants: number): void;
}

export interface RepairDeps {
  readonly store: RepairPassStore;
  readonly control: Pick<ControlStore, 'listTenants' | 'getTenant'>;
  readonly items: (shard: ShardName) => TenantItemSource;
  /** The search engine and the generations every change is written to; absent where the platform has no search. */
  readonly search?: { readonly index: SearchIndex; readonly writeGenerations: () => Promise<Generation[]> };
  readonly usage: UsageRepairStore;
  readonly settings: RepairSettings;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  readonly suffix: () => string;
  readonly reporter: RepairReporter;
  /** Pause before re-reading what differed, so in-flight jobs can land. @default 500 */
  readonly recheckDelayMs?: number;
}

/** Usage counters outlive this window (35 days) and so do the meter's markers (15 days): minutes older are not compared. */
export const USAGE_WINDOW_DAYS = 14;
const DIVERGENT_TENANT_LIMIT = 1000;
const TENANT_PAGE = 100;
const RECHECK_DELAY_MS = 500;
/** Creations commit at version 1 (conversations.ts), so that is the version their insert job carries. */
const CREATION_VERSION = 1;

const emptyTally = (): ViewTally => ({ checked: 0, found: 0, repaired: 0, divergent: 0 });
const addTally = (a: ViewTally | undefined, b: ViewTally): ViewTally => {
  const base = a ?? emptyTally();
  return {
    checked: base.checked + b.checked,
    found: base.found + b.found,
    repaired: base.repaired + b.repaired,
    divergent: base.divergent + b.divergent,
  };
};

/** An operator's run (`POST /admin/repair/runs`, `headroom repair run`): every tenant and view unless narrowed. */
export const repairRunSchema = z.strictObject({
  tenant: tenantIdSchema.optional(),
  view: z.enum(REPAIR_VIEWS).optional(),
});
export type RunRequest = z.input<typeof repairRunSchema>;

export const repairPassPathSchema = z.strictObject({
  passId: z.string().regex(/^[0-9TZ]{18,24}-[0-9a-f]{8}$/, 'a repair pass id, as `headroom repair run` prints it'),
});

export type TickOutcome =
  | { readonly status: 'idle'; readonly nextPassAt?: string }
  | {
      readonly status: 'progress' | 'completed' | 'superseded';
      readonly passId: string;
      readonly tenantsChecked: number;
      readonly itemsRead: number;
    };

export interface RepairStatus {
  /** The last completed pass of each view. */
  readonly views: readonly {
    readonly view: RepairView;
    readonly passId: string;
    readonly trigger: RepairTrigger;
    readonly tenant?: string;
    readonly finishedAt: string;
    readonly tally: ViewTally;
    readonly persistentTenants: number;
    readonly divergentTenants: readonly string[];
  }[];
  /** Passes pending or running, oldest first. */
  readonly active: readonly RepairPass[];
}

export function derivedDataRepair(deps: RepairDeps) {
  const now = () => deps.clock.now();
  const views = (): RepairView[] => (deps.search ? [...REPAIR_VIEWS] : ['usage']);

  function newPass(trigger: RepairTrigger, request: RunRequest = {}): RepairPass {
    const at = now().toISOString();
    return {
      // Sorts by time and is safe in a URL path: 20250102T030405678Z-1a2b3c4d.
      id: `${at.replace(/[-:.]/g, '')}-${deps.suffix()}`,
      trigger,
      views: request.view ? [request.view] : views(),
      ...(request.tenant ? { tenant: request.tenant } : {}),
      status: 'pending',
      requestedAt: at,
      cursor: request.tenant ? { queue: [request.tenant], listed: true } : { queue: [], listed: false },
      tenantsChecked: 0,
      itemsRead: 0,
      tallies: {},
      divergentTenants: {},
      // Stored with `put(pass, 0)` (no pass yet), then saved on the version read: 1, 2, …
      version: 1,
    };
  }

  async function save(before: RepairPass, next: Omit<RepairPass, 'version'>): Promise<RepairPass | undefined> {
    const stored = { ...next, version: before.version + 1 };
    return (await deps.store.put(stored, before.version)) ? stored : undefined;
  }

  /** The pass to work on: a requested run first (oldest), then the scheduled pass in progress, then a due one. */
  async function choosePass(passes: readonly RepairPass[]): Promise<RepairPass | { nextPassAt?: string }> {
    const open = passes.filter((pass) => pass.status !== 'completed');
    const requested = open.find((pass) => pass.trigger === 'requested');
    if (requested) return requested;
    const scheduled = open.find((pass) => pass.trigger === 'scheduled');
    if (scheduled) return scheduled;
    if (!deps.settings.enabled) return {};
    const last = passes.filter((pass) => pass.trigger === 'scheduled').at(-1);
    const due = last ? Date.parse(last.startedAt ?? last.requestedAt) + deps.settings.passIntervalMinutes * 60_000 : 0;
    if (due > now().getTime()) return { nextPassAt: new Date(due).toISOString() };
    const pass = newPass('scheduled');
    return (await deps.store.put(pass, 0)) ? pass : {};
  }

  /** The next tenant of the pass (listing the next page when the current one is used up), or undefined at its end. */
  async function nextTenant(cursor: RepairCursor): Promise<{ tenant?: string; cursor: RepairCursor }> {
    let current = cursor;
    while (current.queue.length === 0) {
      if (current.listed && current.after === undefined) return { cursor: current };
      const page = await deps.control.listTenants(TENANT_PAGE, current.after);
      current = {
        queue: page.items.map((profile) => profile.tenantId as string),
        listed: true,
        ...(page.next === undefined ? {} : { after: page.next }),
      };
    }
    return { tenant: current.queue[0], cursor: current };
  }

  async function complete(pass: RepairPass, passes: readonly RepairPass[]): Promise<RepairPass | undefined> {
    const persistent: Partial<Record<RepairView, number>> = {};
    for (const view of pass.views) {
      const previous = passes.filter((other) => other.status === 'completed' && other.views.includes(view) && other.id < pass.id).at(-1);
      const before = new Set(previous?.divergentTenants[view] ?? []);
      persistent[view] = (pass.divergentTenants[view] ?? []).filter((tenant) => before.has(tenant)).length;
    }
    const done = await save(pass, { ...pass, status: 'completed', finishedAt: now().toISOString(), persistent });
    if (done) for (const view of pass.views) deps.reporter.passCompleted(view, persistent[view] ?? 0);
    return done;
  }

  /**
   * Works on the current pass until it completes or `budgetMs` is spent (checked between tenants), at
   * `itemsPerSecond`. A pass another runner saved meanwhile is left to it (`superseded`).
   */
  async function tick(budgetMs: number): Promise<TickOutcome> {
    const started = now().getTime();
    const passes = await deps.store.list();
    const chosen = await choosePass(passes);
    if (!('id' in chosen)) return { status: 'idle', ...chosen };
    let pass: RepairPass | undefined =
      chosen.status === 'pending' ? await save(chosen, { ...chosen, status: 'running', startedAt: now().toISOString() }) : chosen;
    const pacer = createPacer(deps.settings.itemsPerSecond, deps.clock, deps.sleep);
    const outcome = (status: 'progress' | 'completed' | 'superseded', at: RepairPass) =>
      ({ status, passId: at.id, tenantsChecked: at.tenantsChecked, itemsRead: at.itemsRead }) as const;
    if (!pass) return outcome('superseded', chosen);
    while (now().getTime() - started < budgetMs) {
      const { tenant, cursor } = await nextTenant(pass.cursor);
      if (tenant === undefined) {
        const done = await complete({ ...pass, cursor }, passes);
        return done ? outcome('completed', done) : outcome('superseded', pass);
      }
      const checked = await checkTenant(tenant as TenantId, pass.views, pacer);
      const tallies = { ...pass.tallies };
      const divergentTenants = { ...pass.divergentTenants };
      for (const view of pass.views) {
        const tally = checked.tallies[view] ?? emptyTally();
        tallies[view] = addTally(tallies[view], tally);
        if (tally.divergent > 0) divergentTenants[view] = [...(divergentTenants[view] ?? []), tenant].slice(0, DIVERGENT_TENANT_LIMIT);
      }
      const saved = await save(pass, {
        ...pass,
        cursor: { ...cursor, queue: cursor.queue.slice(1) },
        tenantsChecked: pass.tenantsChecked + 1,
        itemsRead: pass.itemsRead + checked.itemsRead,
        tallies,
        divergentTenants,
      });
      if (!saved) return outcome('superseded', pass);
      pass = saved;
    }
    return outcome('progress', pass);
  }

  /** One tenant against every view of the pass, from one paced read of its items. */
  async function checkTenant(
    tenantId: TenantId,
    passViews: readonly RepairView[],
    pacer: Pacer,
  ): Promise<{ itemsRead: number; tallies: Partial<Record<RepairView, ViewTally>> }> {
    const profile = await deps.control.getTenant(tenantId);
    if (!profile) return { itemsRead: 0, tallies: {} };
    const items = deps.items(profile.shard);
    const creations = new Map<string, { counts: { conversations: number; comments: number }; marks: CreationMark[] }>();
    let itemsRead = 0;
    const versions = await sourceVersions(items, tenantId, {
      pageSize: pacer.pageSize,
      onPage: async (page) => {
        itemsRead += page.length;
        for (const item of page) tallyCreation(creations, item);
        await pacer.take(page.length);
      },
    });
    const tallies: Partial<Record<RepairView, ViewTally>> = {};
    if (passViews.includes('search') && deps.search) tallies.search = await repairSearch(tenantId, items, versions, deps.search);
    if (passViews.includes('usage')) tallies.usage = await repairUsage(tenantId, creations);
    for (const view of passViews) {
      const tally = tallies[view];
      if (tally && tally.found + tally.divergent > 0) deps.reporter.tenantChecked(view, tenantId, tally.repaired, tally.divergent);
    }
    return { itemsRead, tallies };
  }

  async function repairSearch(
    tenantId: TenantId,
    items: TenantItemSource,
    source: readonly VersionEntry[],
    search: NonNullable<RepairDeps['search']>,
  ): Promise<ViewTally> {
    let tally = emptyTally();
    for (const generation of await search.writeGenerations()) {
      const target = await search.index.scanVersions(generation, tenantId);
      const diff = diffVersions(source, target);
      // A tombstone the source no longer holds hides nothing: only live extras are divergence.
      const liveExtra = new Set(target.filter((entry) => !entry.deleted).map((entry) => entry.id));
      const differs = (id: string, comparison: Comparison) =>
        comparison === 'mismatched' || comparison === 'missing' || (comparison === 'extra' && liveExtra.has(id));
      let differing = diff.differing;
      if (differing.length > 0) await deps.sleep(deps.recheckDelayMs ?? RECHECK_DELAY_MS);
      let reread = await rereadSource(items, tenantId, differing);
      const rechecked = await recheckVersions(search.index, generation, tenantId, differing, reread);
      const found = differing.filter((id) => differs(id, rechecked.get(id) as Comparison));
      reread = reread.filter((_, i) => found.includes(differing[i] as string));
      differing = found;
      const documents = reread.flatMap((item) => (item ? (toSearchDocument(item) ?? []) : []));
      const results = documents.length > 0 ? await search.index.bulkUpsert(generation, documents) : [];
      const after = found.length > 0 ? await recheckVersions(search.index, generation, tenantId, found, reread) : new Map();
      tally = addTally(tally, {
        checked: diff.processed,
        found: found.length,
        repaired: results.filter((result) => result === 'applied').length,
        divergent: found.filter((id) => differs(id, after.get(id) as Comparison)).length,
      });
    }
    return tally;
  }

  async function repairUsage(
    tenantId: TenantId,
    creations: ReadonlyMap<string, { counts: MinuteCounts; marks: CreationMark[] }>,
  ): Promise<ViewTally> {
    const at = now().getTime();
    const from = minuteOf(new Date(at - USAGE_WINDOW_DAYS * 86_400_000));
    const to = minuteOf(new Date(at - deps.settings.settleSeconds * 1000));
    if (to < from) return emptyTally();
    const counters = new Map((await deps.usage.tenantUsage(tenantId, from, to)).map((row) => [row.minute, row]));
    const minutes = new Set([...[...creations.keys()].filter((minute) => minute >= from && minute <= to), ...counters.keys()]);
    let tally = emptyTally();
    for (const minute of [...minutes].sort()) {
      const want = creations.get(minute) ?? { counts: { conversations: 0, comments: 0 }, marks: [] };
      let seen: MinuteUsage | undefined = counters.get(minute);
      if (sameCounts(seen, want.counts)) {
        tally = addTally(tally, { checked: 1, found: 0, repaired: 0, divergent: 0 });
        continue;
      }
      let repaired = false;
      let settled = false;
      // One retry: a counter that moved between the read and the write is read again (a late job may have fixed it).
      for (let attempt = 0; attempt < 2 && !repaired && !settled; attempt++) {
        if (attempt > 0) {
          seen = (await deps.usage.tenantUsage(tenantId, minute, minute))[0];
          if (sameCounts(seen, want.counts)) settled = true;
        }
        if (!settled) repaired = await deps.usage.repairMinute(tenantId, minute, seen && countsOf(seen), want.counts, want.marks);
      }
      tally = addTally(tally, {
        checked: 1,
        found: settled ? 0 : 1,
        repaired: repaired ? 1 : 0,
        divergent: repaired || settled ? 0 : 1,
      });
    }
    return tally;
  }

  return {
    tick,

    /** Records an operator's run; the runner works on it before the scheduled pass. */
    async request(request: RunRequest): Promise<RepairPass> {
      if (request.tenant && !(await deps.control.getTenant(request.tenant as TenantId)))
        throw new Problem('not-found', `No tenant ${request.tenant}. List tenants with \`headroom tenants list\`.`);
      if (request.view === 'search' && !deps.search)
        throw new Problem('validation-failed', 'This platform has no search, so there is no search view to repair.');
      const pass = newPass('requested', request);
      if (!(await deps.store.put(pass, 0))) throw new Error(`repair pass ${pass.id} already exists; try again`);
      return pass;
    },

    async status(): Promise<RepairStatus> {
      const passes = await deps.store.list();
      const completed = passes.filter((pass) => pass.status === 'completed');
      return {
        views: views().flatMap((view) => {
          const last = completed.filter((pass) => pass.views.includes(view)).at(-1);
          if (!last) return [];
          return [
            {
              view,
              passId: last.id,
              trigger: last.trigger,
              ...(last.tenant ? { tenant: last.tenant } : {}),
              finishedAt: last.finishedAt as string,
              tally: last.tallies[view] ?? emptyTally(),
              persistentTenants: last.persistent?.[view] ?? 0,
              divergentTenants: last.divergentTenants[view] ?? [],
            },
          ];
        }),
        active: passes.filter((pass) => pass.status !== 'completed'),
      };
    },

    /** One pass as stored, for an operator waiting on the run they requested. */
    async pass(id: string): Promise<RepairPass | undefined> {
      return (await deps.store.list()).find((pass) => pass.id === id);
    },
  };
}

export type DerivedDataRepair = ReturnType<typeof derivedDataRepair>;

function tallyCreation(
  creations: Map<string, { counts: { conversations: number; comments: number }; marks: CreationMark[] }>,
  item: ShardItem,
) {
  const kind = item.type;
  if ((kind !== 'conversation' && kind !== 'comment') || typeof item.createdAt !== 'string') return;
  const minute = minuteOf(item.createdAt);
  const entry = creations.get(minute) ?? { counts: { conversations: 0, comments: 0 }, marks: [] };
  if (kind === 'conversation') entry.counts.conversations++;
  else entry.counts.comments++;
  const key = kind === 'comment' ? `${item.conversationId as string}/${item.id as string}` : (item.id as string);
  entry.marks.push({ kind, key, v: CREATION_VERSION });
  creations.set(minute, entry);
}

const countsOf = (row: MinuteUsage): MinuteCounts => ({ conversations: row.conversations, comments: row.comments });

function sameCounts(row: MinuteUsage | undefined, want: MinuteCounts): boolean {
  return (row?.conversations ?? 0) === want.conversations && (row?.comments ?? 0) === want.comments;
}
