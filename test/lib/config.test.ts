import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../../lib/config.js';

describe('resolveConfig', () => {
  it('gives the defaults when cdk.json has no overrides', () => {
    const config = resolveConfig(undefined);
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(config.shards.map((shard) => shard.name)).toEqual(['shard-0', 'shard-1', 'shard-2', 'shard-3']);
  });

  it('merges nested overrides into the defaults, keeping what was not overridden', () => {
    const config = resolveConfig({ api: { stageName: 'prod' }, tiers: { free: { rateLimit: 5 } } });
    expect(config.api).toEqual({ ...DEFAULT_CONFIG.api, stageName: 'prod' });
    expect(config.tiers.free).toEqual({ ...DEFAULT_CONFIG.tiers.free, rateLimit: 5 });
    expect(config.tiers.enterprise).toEqual(DEFAULT_CONFIG.tiers.enterprise);
  });

  it('replaces arrays instead of merging them, so the shard list is exactly what was given', () => {
    const config = resolveConfig({ shards: [{ name: 'shard-0' }, { name: 'shard-7', dedicatedTo: 'acme' }] });
    expect(config.shards).toEqual([{ name: 'shard-0' }, { name: 'shard-7', dedicatedTo: 'acme' }]);
  });

  it.each([
    ['a badly named shard', { shards: [{ name: 'primary' }] }, /shards\[0\]\.name/],
    ['an authorizer cache longer than an hour', { api: { authorizerCacheSeconds: 7200 } }, /api\.authorizerCacheSeconds/],
    ['a timeout beyond the API Gateway limit', { runtime: { timeoutSeconds: 30 } }, /runtime\.timeoutSeconds/],
    ['a retention CloudWatch Logs does not offer', { logRetentionDays: 31 }, /must be one of .*\n.*logRetentionDays/],
    ['an unknown key', { api: { stage: 'v1' } }, /"stage"\n.*at api$/m],
    ['an unknown tier', { tiers: { platinum: { rateLimit: 1 } } }, /"platinum"\n.*at tiers$/m],
    ['a shard listed twice', { shards: [{ name: 'shard-1' }, { name: 'shard-1' }] }, /shard shard-1 is listed twice[\s\S]*shards/],
    ['only dedicated shards', { shards: [{ name: 'shard-0', dedicatedTo: 'acme' }] }, /at least one shard must be shared/],
    [
      'a warm throughput below the on-demand start',
      { shards: [{ name: 'shard-0' }, { name: 'shard-1', warmThroughput: { writeUnitsPerSecond: 1000 } }] },
      /warm write throughput starts at 4000[\s\S]*shards\[1\]\.warmThroughput\.writeUnitsPerSecond/,
    ],
    [
      'an empty warm throughput',
      { shards: [{ name: 'shard-0', warmThroughput: {} }] },
      /name writeUnitsPerSecond, readUnitsPerSecond or both/,
    ],
    ['a zero admission rate', { messaging: { admission: { free: { rate: 0 } } } }, /messaging\.admission\.free\.rate/],
    [
      'an admission tier that does not exist',
      { messaging: { admission: { platinum: { rate: 1, burst: 1 } } } },
      /"platinum"\n.*at messaging\.admission$/m,
    ],
    ['a non-positive alarm threshold', { messaging: { overflowAgeAlarmSeconds: 0 } }, /messaging\.overflowAgeAlarmSeconds/],
  ])('rejects %s and names the path at fault', (_case, overrides, message) => {
    expect(() => resolveConfig(overrides)).toThrow(message);
  });
});
