import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, PROFILE_NAMES, parseHeadroomContext, resolveConfig, resolveProfileConfig } from '../../lib/config.js';

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
    ['a canary retention of no hours', { operations: { canary: { retentionHours: 0 } } }, /operations\.canary\.retentionHours/],
    [
      'a canary retention longer than a sweep can list',
      { operations: { canary: { retentionHours: 169 } } },
      /operations\.canary\.retentionHours/,
    ],
    ['a canary retention in part hours', { operations: { canary: { retentionHours: 1.5 } } }, /operations\.canary\.retentionHours/],
  ])('rejects %s and names the path at fault', (_case, overrides, message) => {
    expect(() => resolveConfig(overrides)).toThrow(message);
  });
});

describe('the search domain layout', () => {
  const standby = { multiAzWithStandby: true, availabilityZones: 3, dataNodes: 3, masterNodes: 3, indexReplicas: 2 } as const;

  it('defaults to two zones without standby, and accepts standby only in a layout CreateDomain takes', () => {
    expect(DEFAULT_CONFIG.search).toMatchObject({ availabilityZones: 2, dataNodes: 2, multiAzWithStandby: false });
    expect(resolveConfig({ search: standby }).search).toMatchObject(standby);
    expect(resolveConfig({ search: { ...standby, dataNodes: 6, indexReplicas: 5 } }).search.dataNodes).toBe(6);
  });

  it.each([
    [
      'two zones',
      { availabilityZones: 2, dataNodes: 2 },
      /standby keeps a full copy in each of 3 zones: must be 3, got 2[\s\S]*search\.availabilityZones/,
    ],
    [
      'four data nodes',
      { dataNodes: 4, availabilityZones: 2 },
      /spreads data nodes evenly over 3 zones: must be a multiple of 3, got 4[\s\S]*search\.dataNodes/,
    ],
    ['no cluster managers', { masterNodes: 0 }, /requires 3 dedicated cluster-manager nodes, got 0[\s\S]*search\.masterNodes/],
    ['five cluster managers', { masterNodes: 5 }, /requires 3 dedicated cluster-manager nodes, got 5[\s\S]*search\.masterNodes/],
    [
      'two copies of each shard',
      { indexReplicas: 1 },
      /multiple of 3 copies of each shard \(indexReplicas 2 or 5\), got 1[\s\S]*search\.indexReplicas/,
    ],
  ])('refuses standby with %s, saying why and where', (_case, change, message) => {
    expect(() => resolveConfig({ search: { ...standby, ...change } })).toThrow(message);
  });

  it('allows one zone (zone awareness off) and refuses a free-storage alarm as large as the volume', () => {
    expect(resolveConfig({ search: { availabilityZones: 1, dataNodes: 1 } }).search.availabilityZones).toBe(1);
    expect(() => resolveConfig({ search: { availabilityZones: 4 } })).toThrow(/search\.availabilityZones/);
    expect(() => resolveConfig({ search: { volumeSizeGb: 10 } })).toThrow(
      /must be below the 10240 MB volume or the alarm never clears, got 20480[\s\S]*search\.freeStorageAlarmMb/,
    );
  });
});

describe('parseHeadroomContext (-c headroom=…)', () => {
  it('takes the object cdk.json holds, nothing at all, or the JSON string -c passes', () => {
    expect(parseHeadroomContext({ api: { stageName: 'prod' } })).toEqual({ api: { stageName: 'prod' } });
    expect(parseHeadroomContext(undefined)).toEqual({});
    const fromCli = parseHeadroomContext('{"shards":[{"name":"shard-0"}],"operations":{"deployment":{"gateOnHeartbeat":false}}}');
    const config = resolveConfig(fromCli);
    expect(config.shards).toEqual([{ name: 'shard-0' }]);
    expect(config.operations.deployment.gateOnHeartbeat).toBe(false);
  });

  it('refuses a value that is not JSON, or not a JSON object, saying so', () => {
    expect(() => parseHeadroomContext("{shards:['shard-0']}")).toThrow(
      /^invalid headroom config: -c headroom is not JSON: .*\{shards:\['shard-0'\]\}/,
    );
    expect(() => parseHeadroomContext('[1, 2]')).toThrow('invalid headroom config: -c headroom must be a JSON object, got [1, 2]');
    expect(() => parseHeadroomContext('42')).toThrow(/must be a JSON object, got 42/);
  });

  it.each([
    ['a wrong type', '{"api":{"stageName":7}}', /expected string, received number\n.*at api\.stageName/],
    ['an unknown key', '{"search":{"dataNode":3}}', /"dataNode"\n.*at search$/m],
    ['an unknown top-level key', '{"shard":[]}', /Unrecognized key: "shard"/],
  ])('names the path of %s given on the command line', (_case, raw, message) => {
    expect(() => resolveConfig(parseHeadroomContext(raw))).toThrow(message);
  });
});

describe('config profiles (-c profile=…)', () => {
  it('makes production the defaults, retaining what holds data', () => {
    expect(PROFILE_NAMES).toEqual(['production', 'trial']);
    expect(resolveProfileConfig()).toEqual(DEFAULT_CONFIG);
    expect(resolveProfileConfig('production')).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG.removalPolicy).toBe('retain');
  });

  it('makes trial the whole app at its smallest, with nothing retained on destroy', () => {
    const trial = resolveProfileConfig('trial');
    expect(trial.shards).toEqual([{ name: 'shard-0' }]);
    expect(trial.search).toMatchObject({
      dataNodes: 1,
      availabilityZones: 1,
      masterNodes: 0,
      multiAzWithStandby: false,
      dataNodeInstanceType: 't3.small.search',
      volumeSizeGb: 10,
      indexReplicas: 0,
    });
    expect(trial.removalPolicy).toBe('destroy');
    expect(trial.operations.canary.enabled).toBe(true);
  });

  it('applies the headroom overrides on top of the profile', () => {
    const trial = resolveProfileConfig('trial', parseHeadroomContext('{"search":{"volumeSizeGb":20},"removalPolicy":"retain"}'));
    expect(trial.search).toMatchObject({ volumeSizeGb: 20, dataNodes: 1, availabilityZones: 1 });
    expect(trial.removalPolicy).toBe('retain');
    expect(() => resolveProfileConfig('trial', { search: { multiAzWithStandby: true } })).toThrow(/search\.availabilityZones/);
  });

  it('refuses a profile it does not know, listing the ones it does', () => {
    expect(() => resolveProfileConfig('staging')).toThrow(
      'invalid headroom config: unknown profile "staging"; valid profiles: production, trial',
    );
    expect(() => resolveProfileConfig('production', { removalPolicy: 'snapshot' })).toThrow(/removalPolicy/);
  });
});
