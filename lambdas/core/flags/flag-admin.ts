// Operator changes to flags. Every change is a read-modify-write conditional on the version read, validated
// before it is stored (an invalid flag never reaches an evaluator), and recorded in the audit trail with who,
// when, why, and the flag before and after.
import { Problem } from '../problems.js';
import {
  compileToFlagd,
  EMPTY_OVERLAY,
  withBuiltIn,
  withBuiltIns,
  flagType,
  offVariant,
  onVariant,
  validateFlagDefinition,
  type FlagOverlay,
  type FlagRecord,
} from './flag-definitions.js';
import type { Clock, ControlStore, FlagAuditEntry, FlagStore } from '../ports.js';
import type { TenantId, TenantProfile } from '../tenancy/tenancy.js';

export interface FlagChange {
  readonly principal: string;
  readonly reason?: string;
}

export interface FlagSummary {
  readonly key: string;
  readonly version: number;
  readonly type: string;
  readonly state: string;
  readonly defaultVariant: string;
  readonly killed: boolean;
  readonly pinned: number;
  readonly rolloutPercent: number | null;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

export interface FlagEvaluation {
  readonly key: string;
  readonly tenant: string;
  readonly value: unknown;
  readonly variant: string | null;
  readonly reason: string;
  readonly errorCode: string | null;
}

const notFound = (key: string) =>
  new Problem(
    'not-found',
    `Flag ${key} does not exist. List flags with \`headroom flags list\`, or create it with \`headroom flags set ${key} --file def.json\`.`,
  );

export const summarize = (record: FlagRecord): FlagSummary => ({
  key: record.key,
  version: record.version,
  type: flagType(record.definition),
  state: record.definition.state,
  defaultVariant: record.definition.defaultVariant,
  killed: record.overlay.killed !== undefined,
  pinned: Object.keys(record.overlay.pins).length,
  rolloutPercent: record.overlay.rollout?.percent ?? null,
  updatedAt: record.updatedAt,
  updatedBy: record.updatedBy,
});

export function flagAdmin({ store, clock }: { readonly store: FlagStore; readonly clock: Clock }) {
  async function existing(key: string): Promise<FlagRecord> {
    const record = withBuiltIn(key, await store.get(key));
    if (!record) throw notFound(key);
    return record;
  }

  async function commit(
    action: string,
    before: FlagRecord | null,
    next: Omit<FlagRecord, 'version' | 'updatedAt' | 'updatedBy'>,
    change: FlagChange,
  ) {
    const at = clock.now().toISOString();
    const after: FlagRecord = { ...next, version: (before?.version ?? 0) + 1, updatedAt: at, updatedBy: change.principal };
    compileToFlagd([after]);
    const audit: FlagAuditEntry = {
      key: after.key,
      version: after.version,
      at,
      principal: change.principal,
      action,
      ...(change.reason ? { reason: change.reason } : {}),
      before,
      after,
    };
    const result = await store.write(after, before?.version ?? 0, audit);
    if (!result.ok) {
      throw new Problem(
        'conflict',
        `Flag ${after.key} changed concurrently (now at version ${result.currentVersion}); read it again and reapply your change.`,
        { currentVersion: result.currentVersion },
      );
    }
    return summarize(after);
  }

  /** Applies `edit` to the current overlay of an existing flag. */
  async function editOverlay(key: string, action: string, change: FlagChange, edit: (record: FlagRecord) => FlagOverlay) {
    const before = await existing(key);
    return commit(action, stored(before), { key, definition: before.definition, overlay: edit(before) }, change);
  }

  return {
    async list(): Promise<FlagSummary[]> {
      return withBuiltIns(await store.loadAll())
        .map(summarize)
        .sort((a, b) => a.key.localeCompare(b.key));
    },

    async get(key: string): Promise<FlagRecord> {
      return existing(key);
    },

    /** Creates or replaces a definition; the overlay (pins, rollout, kill) is kept. */
    async set(key: string, raw: unknown, change: FlagChange & { expectedVersion?: number }) {
      const definition = validateFlagDefinition(key, raw);
      const before = withBuiltIn(key, await store.get(key)) ?? null;
      if (change.expectedVersion !== undefined && change.expectedVersion !== (before?.version ?? 0)) {
        throw new Problem('conflict', `Flag ${key} is at version ${before?.version ?? 0}, not ${change.expectedVersion}; read it again.`, {
          currentVersion: before?.version ?? 0,
        });
      }
      const overlay = before ? keepValidOverlay(before.overlay, definition) : EMPTY_OVERLAY;
      return commit(before?.version ? 'set' : 'create', stored(before), { key, definition, overlay }, change);
    },

    async enable(key: string, change: FlagChange) {
      const before = await existing(key);
      const { killed: _killed, ...overlay } = before.overlay;
      return commit('enable', stored(before), { key, definition: { ...before.definition, state: 'ENABLED' }, overlay }, change);
    },

    async disable(key: string, change: FlagChange) {
      const before = await existing(key);
      return commit(
        'disable',
        stored(before),
        { key, definition: { ...before.definition, state: 'DISABLED' }, overlay: before.overlay },
        change,
      );
    },

    async allow(key: string, tenants: readonly string[], change: FlagChange & { variant?: string }) {
      return editOverlay(key, 'allow', change, ({ definition, overlay }) => {
        const variant = onVariant(definition, change.variant);
        return { ...overlay, pins: { ...overlay.pins, ...Object.fromEntries(tenants.map((tenant) => [tenant, variant])) } };
      });
    },

    /** Pins tenants to the flag's off variant; which variant that is, is the definition's to say, not the caller's. */
    async deny(key: string, tenants: readonly string[], change: FlagChange & { variant?: string }) {
      if (change.variant !== undefined) throw new Problem('validation-failed', 'deny always pins the "off" variant; do not name one.');
      return editOverlay(key, 'deny', change, ({ definition, overlay }) => ({
        ...overlay,
        pins: { ...overlay.pins, ...Object.fromEntries(tenants.map((tenant) => [tenant, offVariant(definition)])) },
      }));
    },

    /** Removes tenants from allow and deny lists, returning them to the rollout and targeting rules. */
    async unpin(key: string, tenants: readonly string[], change: FlagChange) {
      return editOverlay(key, 'unpin', change, ({ overlay }) => ({
        ...overlay,
        pins: Object.fromEntries(Object.entries(overlay.pins).filter(([tenant]) => !tenants.includes(tenant))),
      }));
    },

    async rollout(key: string, percent: number, change: FlagChange & { variant?: string }) {
      return editOverlay(key, 'rollout', change, ({ definition, overlay }) => ({
        ...overlay,
        rollout: { variant: onVariant(definition, change.variant ?? overlay.rollout?.variant), percent },
      }));
    },

    async kill(key: string, change: FlagChange & { reason: string }) {
      return editOverlay(key, 'kill', change, ({ overlay }) => ({
        ...overlay,
        killed: { reason: change.reason, at: clock.now().toISOString(), by: change.principal },
      }));
    },

    async history(key: string, limit: number): Promise<FlagAuditEntry[]> {
      await existing(key);
      return store.history(key, limit);
    },

    /** What a tenant gets right now, read fresh from the store (not from any instance's cache). */
    async evaluate(key: string, tenant: TenantProfile): Promise<FlagEvaluation> {
      const record = await existing(key);
      const type = flagType(record.definition);
      const fallback = { boolean: false, string: '', number: 0, object: {} }[type];
      const result = compileToFlagd([record]).resolve(type, key, fallback, {
        targetingKey: tenant.tenantId,
        tier: tenant.tier,
        group: tenant.group,
      });
      return {
        key,
        tenant: tenant.tenantId,
        value: result.value,
        variant: result.variant ?? null,
        reason: result.reason ?? 'UNKNOWN',
        errorCode: result.errorCode ?? null,
      };
    },
  };
}

/** A built-in that was never stored is no "before" for the audit trail or the version condition. */
const stored = (record: FlagRecord | null): FlagRecord | null => (record && record.version > 0 ? record : null);

/** Pins and rollouts that name variants the new definition no longer has are dropped rather than left dangling. */
function keepValidOverlay(overlay: FlagOverlay, definition: FlagRecord['definition']): FlagOverlay {
  const pins = Object.fromEntries(Object.entries(overlay.pins).filter(([, variant]) => variant in definition.variants));
  const rollout = overlay.rollout && overlay.rollout.variant in definition.variants ? overlay.rollout : undefined;
  return { pins, ...(rollout ? { rollout } : {}), ...(overlay.killed ? { killed: overlay.killed } : {}) };
}

export type FlagAdmin = ReturnType<typeof flagAdmin>;

/**
 * A flag's value for a tenant an operator names: the tenant must exist (a typo is a 404 that says how to list
 * tenants, never an evaluation against a tenant nobody has).
 */
export async function evaluateForTenant(
  admin: FlagAdmin,
  tenants: Pick<ControlStore, 'getTenant'>,
  key: string,
  tenantId: TenantId,
): Promise<FlagEvaluation> {
  const profile = await tenants.getTenant(tenantId);
  if (!profile) throw new Problem('not-found', `Tenant ${tenantId} does not exist. List tenants with \`headroom tenants list\`.`);
  return admin.evaluate(key, profile);
}
