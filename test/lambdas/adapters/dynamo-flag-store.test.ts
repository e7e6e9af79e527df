// Flags on DynamoDB Local: optimistic concurrency, the audit trail, and propagation to an instance's cache.
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoFlagStore } from '../../../lambdas/adapters/aws/dynamo-flag-store.js';
import { flagAdmin } from '../../../lambdas/core/flags/flag-admin.js';
import { createFlagCache } from '../../../lambdas/core/flags/flag-cache.js';
import { HeadroomFlagProvider } from '../../../lambdas/core/flags/flag-provider.js';
import { Problem } from '../../../lambdas/core/problems.js';
import { createTestTables } from '../../support/dynamo.js';

let store: DynamoFlagStore;
let now = Date.UTC(2026, 0, 1);
const clock = { now: () => new Date(now) };
const admin = () => flagAdmin({ store, clock });
const definition = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' };
const ops = { principal: 'arn:aws:iam::123456789012:user/ops' };

beforeAll(async () => {
  const tables = await createTestTables(1);
  store = new DynamoFlagStore(tables.doc, tables.controlTable);
});

describe('flags on DynamoDB', () => {
  it('lets exactly one of many concurrent edits of the same version win; the others get 409 with the current version', async () => {
    await admin().set('race', definition, ops);
    const attempts = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        admin().set('race', { ...definition, defaultVariant: i % 2 ? 'on' : 'off' }, { ...ops, expectedVersion: 1 }),
      ),
    );
    const won = attempts.filter((a) => a.status === 'fulfilled');
    const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(7);
    for (const { reason } of lost) {
      expect(reason).toBeInstanceOf(Problem);
      expect((reason as Problem).status).toBe(409);
      expect((reason as Problem).extensions.currentVersion).toBe(2);
    }
    expect((await store.get('race'))?.version).toBe(2);
    expect(await store.history('race', 100)).toHaveLength(2);
  });

  it('races between read-modify-write operations lose no change: each either lands or is refused', async () => {
    await admin().set('pins', definition, ops);
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => admin().allow('pins', [`tenant-${i}`], ops)));
    const landed = results.filter((r) => r.status === 'fulfilled').length;
    const record = await store.get('pins');
    expect(Object.keys(record?.overlay.pins ?? {})).toHaveLength(landed);
    expect(record?.version).toBe(1 + landed);
  });

  it('audits every change with principal, time, reason, before and after', async () => {
    await admin().set('audited', definition, { ...ops, reason: 'launch prep' });
    now += 1000;
    await admin().rollout('audited', 10, ops);
    now += 1000;
    await admin().kill('audited', { ...ops, reason: 'error spike' });
    const history = await admin().history('audited', 10);
    expect(history.map((h) => [h.version, h.action, h.reason ?? null])).toEqual([
      [3, 'kill', 'error spike'],
      [2, 'rollout', null],
      [1, 'create', 'launch prep'],
    ]);
    expect(history[0]).toMatchObject({ principal: ops.principal, at: new Date(now).toISOString() });
    expect(history[0]?.before?.overlay.killed).toBeUndefined();
    expect(history[0]?.after.overlay.killed?.reason).toBe('error spike');
    expect(history[2]?.before).toBeNull();
  });

  it('stores nothing for an invalid definition or an unknown flag', async () => {
    await expect(admin().set('broken', { ...definition, defaultVariant: 'maybe' }, ops)).rejects.toThrow(/defaultVariant/);
    expect(await store.get('broken')).toBeUndefined();
    await expect(admin().allow('ghost', ['acme'], ops)).rejects.toMatchObject({ status: 404 });
    expect(await store.get('ghost')).toBeUndefined();
  });

  it('reaches an instance within its TTL and always within 60 s', async () => {
    await admin().set('propagation', { ...definition, defaultVariant: 'on' }, ops);
    const cache = createFlagCache({ load: () => store.loadAll(), clock, ttlSeconds: 30, onStale: () => undefined });
    const provider = new HeadroomFlagProvider(cache);
    const value = async () => (await provider.resolveBooleanEvaluation('propagation', false, { targetingKey: 'acme' })).value;
    expect(await value()).toBe(true);
    const changedAt = now;
    await admin().kill('propagation', { ...ops, reason: 'test' });
    let seenAfter: number | undefined;
    for (let second = 0; second <= 60 && seenAfter === undefined; second++) {
      now = changedAt + second * 1000;
      if ((await value()) === false) seenAfter = second;
    }
    expect(seenAfter).toBeDefined();
    expect(seenAfter).toBeLessThanOrEqual(30);
  });
});
