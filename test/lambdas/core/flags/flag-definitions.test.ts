import { describe, expect, it } from 'vitest';
import {
  compileToFlagd,
  EMPTY_OVERLAY,
  validateFlagDefinition,
  type FlagDefinition,
  type FlagOverlay,
} from '../../../../lambdas/core/flags/flag-definitions.js';
import { Problem } from '../../../../lambdas/core/problems.js';

const boolFlag: FlagDefinition = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' };
const tenants = Array.from({ length: 10_000 }, (_, i) => `tenant-${i}`);

function errorsOf(raw: unknown): { path: string; message: string }[] {
  try {
    validateFlagDefinition('new-inbox', raw);
  } catch (error) {
    if (error instanceof Problem) {
      expect(error.slug).toBe('validation-failed');
      return error.extensions.errors as { path: string; message: string }[];
    }
    throw error;
  }
  return [];
}

function evaluate(definition: FlagDefinition, overlay: FlagOverlay, context: { targetingKey?: string; tier?: string }) {
  return compileToFlagd([{ key: 'f', definition, overlay }]).resolve(
    typeof Object.values(definition.variants)[0] === 'boolean' ? 'boolean' : 'string',
    'f',
    typeof Object.values(definition.variants)[0] === 'boolean' ? false : '',
    context,
  );
}

function share(definition: FlagDefinition, overlay: FlagOverlay): string[] {
  const core = compileToFlagd([{ key: 'f', definition, overlay }]);
  return tenants.filter((t) => core.resolveBooleanEvaluation('f', false, { targetingKey: t }).value);
}

describe('flag definition validation', () => {
  it('accepts a well-formed flagd definition', () => {
    expect(errorsOf({ ...boolFlag, targeting: { if: [{ '==': [{ var: 'tier' }, 'enterprise'] }, 'on', null] } })).toEqual([]);
  });

  it.each([
    ['an unknown state', { ...boolFlag, state: 'ON' }, '/state'],
    ['a default variant that does not exist', { ...boolFlag, defaultVariant: 'maybe' }, '/defaultVariant'],
    ['mixed variant types', { ...boolFlag, variants: { on: true, off: 'no' } }, '/variants/off'],
    ['an unknown operator', { ...boolFlag, targeting: { bogus: [1, 2] } }, '/targeting'],
    [
      'a targeting result that is not a variant',
      { ...boolFlag, targeting: { if: [{ '==': [{ var: 'tier' }, 'x'] }, 'onn', null] } },
      '/targeting/if/1',
    ],
    [
      'percentages that do not add up to 100',
      {
        ...boolFlag,
        targeting: {
          fractional: [
            ['on', 30],
            ['off', 60],
          ],
        },
      },
      '/targeting/fractional',
    ],
    [
      'a percentage over 100',
      {
        ...boolFlag,
        targeting: {
          fractional: [
            ['on', 130],
            ['off', -30],
          ],
        },
      },
      '/targeting/fractional/1/1',
    ],
    [
      'a rollout to a variant that does not exist',
      {
        ...boolFlag,
        targeting: {
          fractional: [
            ['yes', 50],
            ['off', 50],
          ],
        },
      },
      '/targeting/fractional/0/0',
    ],
    ['an unknown field', { ...boolFlag, owner: 'me' }, '/owner'],
    ['no variants', { state: 'ENABLED', variants: {}, defaultVariant: 'on' }, '/variants'],
  ])('refuses %s, naming the JSON path at fault', (_name, raw, path) => {
    const errors = errorsOf(raw);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map((e) => e.path)).toContain(path);
  });

  it('refuses non-objects', () => {
    expect(errorsOf('on')).not.toEqual([]);
    expect(errorsOf(null)).not.toEqual([]);
  });
});

describe('flag evaluation with the operator overlay', () => {
  it('rolls out to the requested share of 10,000 tenants within ±2 points', () => {
    for (const percent of [10, 25, 50, 90]) {
      const on = share(boolFlag, { pins: {}, rollout: { variant: 'on', percent } }).length / tenants.length;
      expect(Math.abs(on * 100 - percent)).toBeLessThanOrEqual(2);
    }
  });

  it('keeps every tenant that was in when the percentage is raised', () => {
    const at10 = new Set(share(boolFlag, { pins: {}, rollout: { variant: 'on', percent: 10 } }));
    const at20 = new Set(share(boolFlag, { pins: {}, rollout: { variant: 'on', percent: 20 } }));
    expect([...at10].every((tenant) => at20.has(tenant))).toBe(true);
    expect(at20.size).toBeGreaterThan(at10.size);
  });

  it('applies deny over rollout and allow over targeting', () => {
    const overlay: FlagOverlay = { pins: { 'tenant-1': 'off', 'tenant-2': 'on' }, rollout: { variant: 'on', percent: 100 } };
    expect(evaluate(boolFlag, overlay, { targetingKey: 'tenant-1' }).value).toBe(false);
    expect(evaluate(boolFlag, overlay, { targetingKey: 'tenant-2' }).value).toBe(true);
    expect(evaluate(boolFlag, overlay, { targetingKey: 'tenant-3' }).value).toBe(true);
  });

  it('honours tier and group rules and falls through to the rollout when they match nobody', () => {
    const definition = { ...boolFlag, targeting: { if: [{ '==': [{ var: 'tier' }, 'enterprise'] }, 'on', null] } };
    expect(evaluate(definition, EMPTY_OVERLAY, { targetingKey: 'x', tier: 'enterprise' })).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
    });
    expect(evaluate(definition, EMPTY_OVERLAY, { targetingKey: 'x', tier: 'free' })).toMatchObject({ value: false, reason: 'DEFAULT' });
    const withRollout = { pins: {}, rollout: { variant: 'on', percent: 100 } };
    expect(evaluate(definition, withRollout, { targetingKey: 'x', tier: 'free' }).value).toBe(true);
  });

  it('kill switch serves "off" to everyone, allow lists and targeting included', () => {
    const definition = { ...boolFlag, defaultVariant: 'on', targeting: { if: [{ '==': [{ var: 'tier' }, 'enterprise'] }, 'on', null] } };
    const overlay: FlagOverlay = {
      pins: { 'tenant-1': 'on' },
      rollout: { variant: 'on', percent: 100 },
      killed: { reason: 'incident', at: '2026-01-01T00:00:00.000Z', by: 'ops' },
    };
    for (const context of [{ targetingKey: 'tenant-1' }, { targetingKey: 'tenant-9', tier: 'enterprise' }, {}]) {
      expect(evaluate(definition, overlay, context).value).toBe(false);
    }
  });

  it('serves string variants per tenant, e.g. a search read generation', () => {
    const generation: FlagDefinition = { state: 'ENABLED', variants: { g1: 'gen-1', g2: 'gen-2' }, defaultVariant: 'g1' };
    const overlay: FlagOverlay = { pins: { 'tenant-7': 'g2' } };
    expect(evaluate(generation, overlay, { targetingKey: 'tenant-7' })).toMatchObject({ value: 'gen-2', variant: 'g2' });
    expect(evaluate(generation, overlay, { targetingKey: 'tenant-8' })).toMatchObject({ value: 'gen-1', variant: 'g1' });
  });
});
