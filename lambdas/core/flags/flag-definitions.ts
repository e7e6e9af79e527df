// Flag definitions in the open flagd format, plus Headroom's operator overlay (tenant pins, a sticky percentage
// rollout, a kill switch). The overlay is compiled into plain flagd targeting, so evaluation is exactly flagd's.
// Invariants: a stored definition always passes flagd's own schema; a killed flag serves its "off" variant to
// every tenant whatever its targeting; raising a rollout's percentage never removes a tenant that was in.
import { FlagdCore, MemoryStorage } from '@openfeature/flagd-core';
import * as z from 'zod';
import { Problem } from '../problems.js';
import { tenantIdSchema } from '../tenancy/tenancy.js';

export type FlagValue = boolean | string | number | Record<string, unknown>;

/** One flag in the flagd flag-definition format. */
export interface FlagDefinition {
  readonly state: 'ENABLED' | 'DISABLED';
  readonly variants: Readonly<Record<string, FlagValue>>;
  readonly defaultVariant: string;
  readonly targeting?: Readonly<Record<string, unknown>>;
  readonly metadata?: Readonly<Record<string, string | number | boolean>>;
}

export interface FlagOverlay {
  /** Tenant → variant: allow lists pin to the "on" variant, deny lists to the "off" variant. */
  readonly pins: Readonly<Record<string, string>>;
  /** The share of the remaining tenants (0-100, sticky by tenant) that get `variant`. */
  readonly rollout?: { readonly variant: string; readonly percent: number };
  readonly killed?: { readonly reason: string; readonly at: string; readonly by: string };
}

export interface FlagRecord {
  readonly key: string;
  readonly version: number;
  readonly definition: FlagDefinition;
  readonly overlay: FlagOverlay;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

export const flagKeySchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'flag keys are 1-100 lowercase letters, digits, dots, dashes or underscores');

export const tenantListSchema = z.array(tenantIdSchema).min(1, 'name at least one tenant').max(10_000);

export const EMPTY_OVERLAY: FlagOverlay = { pins: {} };

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

const invalid = (errors: FieldError[]): Problem =>
  new Problem(
    'validation-failed',
    `${errors[0]?.path || '/'}: ${errors[0]?.message}. Fix the definition and send it again; nothing was stored.`,
    {
      errors,
    },
  );

/** The flagd schema's complaints about one flag, with JSON pointers relative to the flag definition. */
function schemaErrors(key: string, raw: unknown): FieldError[] {
  const storage = new MemoryStorage({ debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined });
  try {
    storage.setConfigurations(JSON.stringify({ flags: { [key]: raw } }), true);
    return [];
  } catch (error) {
    const message = (error as Error).message;
    const detail = /^invalid flagd flag configuration: ([\s\S]*)$/.exec(message)?.[1];
    if (detail) {
      const prefix = `/flags/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      const issues = JSON.parse(detail) as { instancePath: string; message: string; params?: Record<string, unknown> }[];
      return dedupe(
        issues.map((issue) => ({
          path: issue.instancePath.startsWith(prefix) ? issue.instancePath.slice(prefix.length) || '/' : issue.instancePath || '/',
          message: `${issue.message}${issue.params?.additionalProperty ? ` (${String(issue.params.additionalProperty)})` : ''}`,
        })),
      );
    }
    const cause = (error as Error & { cause?: Error }).cause;
    return [{ path: '/', message: cause?.message ?? message }];
  }
}

/** Most specific first; ajv's "must match a schema in anyOf" summaries only when nothing more precise exists. */
function dedupe(errors: FieldError[]): FieldError[] {
  const unique = [...new Map(errors.map((e) => [`${e.path}|${e.message}`, e])).values()];
  const specific = unique.filter((e) => !/^must match (a schema in anyOf|exactly one schema in oneOf)$/.test(e.message));
  return (specific.length > 0 ? specific : unique).sort((a, b) => b.path.length - a.path.length);
}

const DEFINITION_FIELDS = new Set(['state', 'variants', 'defaultVariant', 'targeting', 'metadata']);

/** flagd normalises fractional weights; Headroom insists on explicit percentages that add up to 100. */
function fractionalErrors(node: unknown, path: string): FieldError[] {
  if (Array.isArray(node)) return node.flatMap((child, index) => fractionalErrors(child, `${path}/${index}`));
  if (node === null || typeof node !== 'object') return [];
  const errors: FieldError[] = [];
  for (const [operator, args] of Object.entries(node)) {
    const here = `${path}/${operator.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (operator === 'fractional' && Array.isArray(args)) {
      const buckets = args.filter((arg): arg is unknown[] => Array.isArray(arg) && typeof arg[0] === 'string');
      let sum = 0;
      args.forEach((arg, index) => {
        if (!Array.isArray(arg) || typeof arg[0] !== 'string') return;
        const weight = arg[1];
        if (typeof weight !== 'number' || weight < 0 || weight > 100) {
          errors.push({ path: `${here}/${index}/1`, message: 'a percentage must be a number from 0 to 100' });
        } else sum += weight;
      });
      if (buckets.length > 0 && errors.length === 0 && Math.abs(sum - 100) > 1e-9) {
        errors.push({ path: here, message: `percentages must add up to 100, got ${sum}` });
      }
    }
    errors.push(...fractionalErrors(args, here));
  }
  return errors;
}

/** Every variant a targeting rule can return must exist: flagd would otherwise fail at evaluation time. */
function variantReferenceErrors(definition: FlagDefinition): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (node: unknown, path: string) => {
    if (Array.isArray(node)) return node.forEach((child, index) => visit(child, `${path}/${index}`));
    if (node === null || typeof node !== 'object') return;
    for (const [operator, args] of Object.entries(node)) {
      const here = `${path}/${operator}`;
      if (operator === 'fractional' && Array.isArray(args)) {
        args.forEach((arg, index) => {
          if (Array.isArray(arg) && typeof arg[0] === 'string' && !(arg[0] in definition.variants)) {
            errors.push({ path: `${here}/${index}/0`, message: `variant "${arg[0]}" does not exist` });
          }
        });
      }
      if (operator === 'if' && Array.isArray(args)) {
        args.forEach((arg, index) => {
          const isResult = index % 2 === 1 || index === args.length - 1;
          if (isResult && typeof arg === 'string' && !(arg in definition.variants)) {
            errors.push({ path: `${here}/${index}`, message: `variant "${arg}" does not exist` });
          }
        });
      }
      visit(args, here);
    }
  };
  if (definition.targeting) visit(definition.targeting, '/targeting');
  return errors;
}

/** Parses and validates one flag definition; throws a 400 problem naming every JSON path at fault. */
export function validateFlagDefinition(key: string, raw: unknown): FlagDefinition {
  const unknownFields =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? Object.keys(raw).filter((field) => !DEFINITION_FIELDS.has(field)) : [];
  const candidate = raw as Partial<FlagDefinition> | null;
  const missingDefault =
    typeof candidate?.defaultVariant === 'string' &&
    typeof candidate.variants === 'object' &&
    candidate.variants !== null &&
    !(candidate.defaultVariant in candidate.variants)
      ? [{ path: '/defaultVariant', message: `variant "${candidate.defaultVariant}" does not exist` }]
      : [];
  const errors = [
    ...unknownFields.map((field) => ({ path: `/${field}`, message: 'unknown field' })),
    ...missingDefault,
    // flagd's parser also trips over a missing default variant, but only with a pathless message.
    ...schemaErrors(key, raw).filter((error) => missingDefault.length === 0 || error.path !== '/'),
  ];
  if (errors.length > 0) throw invalid(errors);
  const definition = raw as FlagDefinition;
  const semantic = [...fractionalErrors(definition.targeting ?? {}, '/targeting'), ...variantReferenceErrors(definition)];
  if (semantic.length > 0) throw invalid(semantic);
  // The last word is flagd's own parser: unknown operators and malformed rules fail here.
  compileToFlagd([{ key, definition, overlay: EMPTY_OVERLAY }]);
  return definition;
}

export type FlagType = 'boolean' | 'string' | 'number' | 'object';

export function flagType(definition: FlagDefinition): FlagType {
  const first = Object.values(definition.variants)[0];
  return typeof first === 'object' ? 'object' : (typeof first as FlagType);
}

/** The variant that means "off": a boolean flag's false variant, otherwise the default variant. */
export function offVariant(definition: FlagDefinition): string {
  if (flagType(definition) === 'boolean') {
    const off = Object.entries(definition.variants).find(([, value]) => value === false)?.[0];
    if (off) return off;
  }
  return definition.defaultVariant;
}

/** The variant allow lists and rollouts grant when none is named: a boolean flag's true variant. */
export function onVariant(definition: FlagDefinition, requested?: string): string {
  if (requested !== undefined) {
    if (!(requested in definition.variants)) {
      throw invalid([
        { path: '/variant', message: `variant "${requested}" does not exist; known: ${Object.keys(definition.variants).join(', ')}` },
      ]);
    }
    return requested;
  }
  const on = flagType(definition) === 'boolean' ? Object.entries(definition.variants).find(([, value]) => value === true)?.[0] : undefined;
  if (!on) throw invalid([{ path: '/variant', message: `this ${flagType(definition)} flag has no "on" value: name the variant to grant` }]);
  return on;
}

/** The flagd definition actually evaluated: the stored definition with the operator overlay applied. */
export function effectiveDefinition(record: Pick<FlagRecord, 'definition' | 'overlay'>): FlagDefinition {
  const { definition, overlay } = record;
  const { targeting: _base, ...withoutTargeting } = definition;
  if (overlay.killed) return { ...withoutTargeting, state: 'ENABLED', defaultVariant: offVariant(definition) };

  const off = offVariant(definition);
  const rollout = overlay.rollout
    ? {
        fractional: [
          [overlay.rollout.variant, overlay.rollout.percent],
          [off, 100 - overlay.rollout.percent],
        ],
      }
    : undefined;
  // Base targeting returns a variant or null; `or` falls through to the rollout when it matched nobody.
  const fallback = definition.targeting && rollout ? { or: [definition.targeting, rollout] } : (definition.targeting ?? rollout);

  const byVariant = new Map<string, string[]>();
  for (const [tenant, variant] of Object.entries(overlay.pins)) byVariant.set(variant, [...(byVariant.get(variant) ?? []), tenant]);
  const pinRules = [...byVariant.entries()].sort(([a], [b]) => (a === off ? -1 : b === off ? 1 : 0));
  if (pinRules.length === 0) return fallback ? { ...withoutTargeting, targeting: fallback } : withoutTargeting;
  const chain = pinRules.flatMap(([variant, tenants]) => [{ in: [{ var: 'targetingKey' }, tenants.sort()] }, variant]);
  return { ...withoutTargeting, targeting: { if: [...chain, fallback ?? null] } };
}

const silentLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Levers the code relies on exist from day one, off, so evaluating them is a plain STATIC result rather than a
 * FLAG_NOT_FOUND error on every request; the first operator change stores them like any other flag.
 */
export const BUILT_IN_FLAGS: Readonly<Record<string, FlagDefinition>> = {
  'tenant.writes-paused': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' },
  // Which search generation a tenant reads; a search migration adds the new generation and pins tenants to it.
  'search.read-generation': { state: 'ENABLED', variants: { g1: 'g1' }, defaultVariant: 'g1' },
};

/** A stored flag, or the never-changed built-in of that key (version 0), or undefined. */
export function withBuiltIn(key: string, stored: FlagRecord | undefined): FlagRecord | undefined {
  if (stored) return stored;
  const definition = BUILT_IN_FLAGS[key];
  return definition ? { key, version: 0, definition, overlay: EMPTY_OVERLAY, updatedAt: '', updatedBy: 'built-in' } : undefined;
}

/** Every stored flag plus the built-ins not stored yet. */
export function withBuiltIns(stored: readonly FlagRecord[]): FlagRecord[] {
  const keys = new Set(stored.map((record) => record.key));
  return [
    ...stored,
    ...Object.keys(BUILT_IN_FLAGS)
      .filter((key) => !keys.has(key))
      .map((key) => withBuiltIn(key, undefined) as FlagRecord),
  ];
}

/** A flagd evaluator over the given flags (their effective definitions). */
export function compileToFlagd(records: readonly Pick<FlagRecord, 'key' | 'definition' | 'overlay'>[]): FlagdCore {
  const core = new FlagdCore(undefined, silentLogger);
  core.setConfigurations(JSON.stringify({ flags: Object.fromEntries(records.map((record) => [record.key, effectiveDefinition(record)])) }));
  return core;
}
