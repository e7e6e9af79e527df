import { describe, expect, it } from 'vitest';
import { MemoryControlStore } from '../../../../lambdas/adapters/memory/memory-control-store.js';
import { captureChange, type ChangeRecord } from '../../../../lambdas/core/jobs/change-capture.js';
import { relayChanges } from '../../../../lambdas/core/jobs/change-relay.js';
import type { Job } from '../../../../lambdas/core/jobs/jobs.js';
import { createOverflowRouter } from '../../../../lambdas/core/fairness/overflow-router.js';
import type { JobQueue } from '../../../../lambdas/core/ports.js';
import { createTenantDirectory } from '../../../../lambdas/core/tenancy/tenant-directory.js';
import type { TenantId } from '../../../../lambdas/core/tenancy/tenancy.js';
import type { QueueName } from '../../../../lambdas/core/fairness/queue-names.js';

const at = '2026-01-01T00:00:00.000Z';
const conversation = (tenantId: string, id: string, v = 1, deleted = false) => ({
  type: 'conversation',
  tenantId,
  id,
  v,
  deleted,
  updatedAt: at,
});

let sequence = 100;
const change = (
  eventName: ChangeRecord['eventName'],
  newImage?: Record<string, unknown>,
  oldImage?: Record<string, unknown>,
): ChangeRecord => ({
  eventName,
  sequenceNumber: String(sequence++),
  approximateCreationTime: at,
  ...(newImage ? { newImage } : {}),
  ...(oldImage ? { oldImage } : {}),
});

describe('change capture', () => {
  it('turns conversation and comment changes into versioned jobs, a soft delete into a delete job', () => {
    expect(captureChange(change('INSERT', conversation('acme', 'c1')))).toMatchObject({
      kind: 'conversation',
      key: 'c1',
      op: 'insert',
      v: 1,
    });
    expect(captureChange(change('MODIFY', conversation('acme', 'c1', 2), conversation('acme', 'c1')))).toMatchObject({
      op: 'update',
      v: 2,
    });
    expect(captureChange(change('MODIFY', conversation('acme', 'c1', 3, true), conversation('acme', 'c1', 2)))).toMatchObject({
      op: 'delete',
      v: 3,
    });
    const comment = { type: 'comment', tenantId: 'acme', id: 'm1', conversationId: 'c1', v: 1, updatedAt: at };
    expect(captureChange(change('INSERT', comment))).toMatchObject({ kind: 'comment', key: 'c1/m1', op: 'insert' });
  });

  it('ignores bookkeeping items such as idempotency keys', () => {
    expect(captureChange(change('INSERT', { type: 'idempotency', tenantId: 'acme' }))).toBeUndefined();
  });
});

describe('overflow router', () => {
  it("sends a group's jobs beyond its burst to the overflow queue and refills at the tier rate, per group", () => {
    let now = 0;
    const router = createOverflowRouter(
      { free: { rate: 1, burst: 5 }, standard: { rate: 10, burst: 20 }, enterprise: { rate: 100, burst: 200 } },
      { now: () => new Date(now) },
    );
    const routes = Array.from({ length: 8 }, () => router.route('noisy', 'free'));
    expect(routes.filter((q) => q === 'jobs')).toHaveLength(5);
    expect(routes.slice(5)).toEqual(['jobs-overflow', 'jobs-overflow', 'jobs-overflow']);
    expect(router.route('quiet', 'free')).toBe('jobs');
    now += 1000;
    expect(router.route('noisy', 'free')).toBe('jobs');
    expect(router.route('noisy', 'free')).toBe('jobs-overflow');
  });
});

describe('change relay', () => {
  async function fixture(failOn?: (job: Job) => boolean) {
    const control = new MemoryControlStore();
    const clock = { now: () => new Date(at) };
    await control.createTenant({
      tenantId: 'acme' as TenantId,
      shard: 'shard-0',
      epoch: 1,
      group: 'big-group',
      tier: 'free',
      status: 'active',
      createdAt: at,
      tokenHash: 'h',
      usageKey: 'u',
    });
    const sent: { queue: QueueName; job: Job }[] = [];
    const queue: JobQueue = {
      send: async (name, jobs) => {
        const failed = jobs.filter((job) => failOn?.(job));
        for (const job of jobs) if (!failed.includes(job)) sent.push({ queue: name, job });
        return { failed };
      },
    };
    const deps = {
      directory: createTenantDirectory({ store: control, clock, ttlSeconds: 30 }),
      router: createOverflowRouter(
        { free: { rate: 0.001, burst: 2 }, standard: { rate: 1, burst: 100 }, enterprise: { rate: 1, burst: 100 } },
        clock,
      ),
      queue,
      defaultTier: 'standard' as const,
    };
    return { deps, sent };
  }

  it("routes by the tenant's group and tier, reports overflow, and uses the tenant id as group for unknown tenants", async () => {
    const { deps, sent } = await fixture();
    const records = [1, 2, 3]
      .map((n) => change('INSERT', conversation('acme', `c${n}`)))
      .concat(change('INSERT', conversation('ghost', 'g1')));
    const result = await relayChanges(records, deps);
    expect(sent.filter((s) => s.job.tenantId === 'acme').map((s) => [s.queue, s.job.group])).toEqual([
      ['jobs', 'big-group'],
      ['jobs', 'big-group'],
      ['jobs-overflow', 'big-group'],
    ]);
    expect(sent.find((s) => s.job.tenantId === 'ghost')?.job.group).toBe('ghost');
    expect(result.overflowed).toEqual([{ group: 'big-group', tier: 'free', jobs: 1 }]);
    expect(result.failedSequenceNumbers).toEqual([]);
  });

  it('reports the changes whose jobs could not be queued, oldest first, so the stream redelivers them', async () => {
    const { deps } = await fixture((job) => job.key === 'c2' || job.key === 'c3');
    const records = ['c1', 'c2', 'c3'].map((id) => change('INSERT', conversation('ghost', id)));
    const result = await relayChanges(records, deps);
    expect(result.failedSequenceNumbers).toEqual([records[1]!.sequenceNumber, records[2]!.sequenceNumber]);
  });
});
