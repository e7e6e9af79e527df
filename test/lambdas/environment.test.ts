// Each settings block is declared once (schema + default, by its owner in core) and composed by both lib/config.ts
// and the runtime environment: a function reads back exactly what config handed it, an unset variable means the
// config's default, and a value config refuses at synth is refused at cold start too, naming the variable.
import { describe, expect, it } from 'vitest';
import { ENV, readRuntimeEnvironment } from '../../lambdas/environment.js';
import { functionEnvironment } from '../../lambdas/function-environment.js';
import { encodeShardTopology } from '../../lambdas/core/tenancy/shard-topology.js';
import type { FunctionDefinition } from '../../lambdas/functions.js';
import { DEFAULT_CONFIG, resolveConfig } from '../../lib/config.js';
import { platformSettings } from '../../lib/function-environment.js';

const topology = [{ name: 'shard-0', table: 'headroom-shard-0' }];
const required = { [ENV.shards]: encodeShardTopology(topology), [ENV.controlTable]: 'headroom-control' };
const relayLike: FunctionDefinition = {
  name: 'relay',
  description: 'a platform function with admission',
  trigger: { kind: 'schedule' },
  needs: { platform: true, admission: true, llm: 'settings', repair: true },
};

describe('the runtime environment', () => {
  it('reads back every setting config hands a function, unchanged', () => {
    const config = resolveConfig({
      runtime: { directoryCacheSeconds: 45, flagCacheSeconds: 5, idempotencyTtlHours: 48 },
      defaultTier: 'free',
      messaging: { admission: { free: { rate: 1 } } },
      tenantMove: { fenceWaitMs: 500 },
      repair: { itemsPerSecond: 50, passIntervalMinutes: 15 },
    });
    const settings = platformSettings(config);
    const env = readRuntimeEnvironment(
      functionEnvironment(relayLike, {
        target: 'embedded',
        json: JSON.stringify,
        settings,
        shards: topology,
        controlTable: 'headroom-control',
      }),
    );
    expect(env).toMatchObject({ ...settings, shards: topology });
    expect(env.idempotencyTtlSeconds).toBe(48 * 3600);
  });

  it("gives the config's defaults for the variables that are not set", () => {
    const env = readRuntimeEnvironment(required);
    expect(env).toMatchObject({
      directoryCacheSeconds: DEFAULT_CONFIG.runtime.directoryCacheSeconds,
      flagCacheSeconds: DEFAULT_CONFIG.runtime.flagCacheSeconds,
      idempotencyTtlSeconds: DEFAULT_CONFIG.runtime.idempotencyTtlHours * 3600,
      defaultTier: DEFAULT_CONFIG.defaultTier,
    });
    // Unset blocks mean the feature is off (no admission control, no search, no AI), not a default.
    expect([env.admission, env.search, env.llm]).toEqual([undefined, undefined, undefined]);
  });

  it.each([
    ['a flag cache over 30 s', { runtime: { flagCacheSeconds: 31 } }, { [ENV.flagCacheSeconds]: '31' }, /flagCacheSeconds/],
    [
      'a directory cache over 300 s',
      { runtime: { directoryCacheSeconds: 301 } },
      { [ENV.directoryCacheSeconds]: '301' },
      /directoryCacheSeconds/,
    ],
    [
      'an idempotency window over a week',
      { runtime: { idempotencyTtlHours: 24 * 7 + 1 } },
      { [ENV.idempotencyTtlSeconds]: String((24 * 7 + 1) * 3600) },
      /idempotencyTtlSeconds/,
    ],
    ['an unknown default tier', { defaultTier: 'platinum' }, { [ENV.defaultTier]: 'platinum' }, /defaultTier/],
    [
      'admission for an unknown tier',
      { messaging: { admission: { platinum: { rate: 1, burst: 1 } } } },
      { [ENV.admission]: JSON.stringify({ ...DEFAULT_CONFIG.messaging.admission, platinum: { rate: 1, burst: 1 } }) },
      /HEADROOM_ADMISSION is not valid/,
    ],
    [
      'a move without barrier beacons',
      { tenantMove: { barrierBeacons: 0 } },
      { [ENV.tenantMove]: JSON.stringify({ ...DEFAULT_CONFIG.tenantMove, barrierBeacons: 0 }) },
      /HEADROOM_TENANT_MOVE is not valid/,
    ],
  ])('refuses %s at cold start as config refuses it at synth', (_case, overrides, variables, message) => {
    expect(() => resolveConfig(overrides)).toThrow(/invalid headroom config/);
    expect(() => readRuntimeEnvironment({ ...required, ...variables })).toThrow(message);
  });
});
