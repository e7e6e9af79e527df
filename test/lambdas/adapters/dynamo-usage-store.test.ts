// The usage meter's store on DynamoDB Local: a job counts once however often it is delivered.
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoUsageStore } from '../../../lambdas/adapters/aws/dynamo-usage-store.js';
import type { Job } from '../../../lambdas/core/jobs/jobs.js';
import type { TenantId } from '../../../lambdas/core/tenancy/tenancy.js';
import { meterJob, topGroups } from '../../../lambdas/core/jobs/usage-meter.js';
import { createTestTables } from '../../support/dynamo.js';

let store: DynamoUsageStore;
const job = (overrides: Partial<Job> = {}): Job => ({
  kind: 'conversation',
  tenantId: 'acme' as TenantId,
  group: 'acme',
  key: 'c1',
  v: 1,
  op: 'insert',
  committedAt: '2026-01-01T10:00:30.000Z',
  ...overrides,
});

beforeAll(async () => {
  const tables = await createTestTables(1);
  store = new DynamoUsageStore(tables.doc, tables.controlTable);
});

describe('usage meter on DynamoDB', () => {
  it('counts a job once, even when delivered many times at once', async () => {
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => meterJob(job(), store)));
    expect(outcomes.filter((o) => o === 'counted')).toHaveLength(1);
    expect(await store.tenantUsage('acme' as TenantId, '2026-01-01T10:00', '2026-01-01T10:00')).toEqual([
      { minute: '2026-01-01T10:00', conversations: 1, comments: 0, jobs: 1 },
    ]);
  });

  it('counts creations per minute by commit time, and every job version toward group load', async () => {
    const t = 'beta' as TenantId;
    await meterJob(job({ tenantId: t, group: 'g-beta', key: 'c1' }), store);
    await meterJob(job({ tenantId: t, group: 'g-beta', key: 'c1', v: 2, op: 'update' }), store);
    await meterJob(job({ tenantId: t, group: 'g-beta', kind: 'comment', key: 'c1/m1', committedAt: '2026-01-01T10:01:05.000Z' }), store);
    expect(await store.tenantUsage(t, '2026-01-01T10:00', '2026-01-01T10:59')).toEqual([
      { minute: '2026-01-01T10:00', conversations: 1, comments: 0, jobs: 2 },
      { minute: '2026-01-01T10:01', conversations: 0, comments: 1, jobs: 1 },
    ]);
    expect(await store.groupJobs(['2026-01-01T10:00', '2026-01-01T10:01'])).toMatchObject({ 'g-beta': 3 });
  });

  it('ranks groups by their last 5 minutes of jobs', async () => {
    const now = new Date('2026-02-01T12:00:30.000Z');
    for (let i = 0; i < 4; i++)
      await meterJob(job({ tenantId: 'n' as TenantId, group: 'noisy', key: `n${i}`, committedAt: now.toISOString() }), store);
    await meterJob(job({ tenantId: 'q' as TenantId, group: 'quiet', key: 'q0', committedAt: now.toISOString() }), store);
    await meterJob(job({ tenantId: 'o' as TenantId, group: 'old', key: 'o0', committedAt: '2026-02-01T11:30:00.000Z' }), store);
    const top = await topGroups(store, { now: () => now }, 10);
    expect(top.map((g) => [g.group, g.jobs5m, g.jobs60m])).toEqual([
      ['noisy', 4, 4],
      ['quiet', 1, 1],
      ['old', 0, 1],
    ]);
  });
});
