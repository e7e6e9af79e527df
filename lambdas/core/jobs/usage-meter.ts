// The usage meter: per-tenant, per-minute counts of created conversations and comments, and per-group job
// counts that show who is loading the platform. Counting is idempotent: a job (key + version) counts once,
// however often SQS delivers it.
import type { Job } from './jobs.js';
import type { Clock, MinuteUsage, UsageStore } from '../ports.js';
import type { TenantId } from '../tenancy/tenancy.js';

export const minuteOf = (iso: string | Date): string => new Date(iso).toISOString().slice(0, 16);

export async function meterJob(job: Job, store: UsageStore): Promise<'counted' | 'duplicate'> {
  return (await store.count(job)) ? 'counted' : 'duplicate';
}

export interface UsageReport {
  readonly from: string;
  readonly to: string;
  readonly totals: { readonly conversations: number; readonly comments: number };
  readonly minutes: readonly MinuteUsage[];
}

export async function tenantUsage(tenantId: TenantId, minutes: number, store: UsageStore, clock: Clock): Promise<UsageReport> {
  const to = minuteOf(clock.now());
  const from = minuteOf(new Date(clock.now().getTime() - (minutes - 1) * 60_000));
  const rows = await store.tenantUsage(tenantId, from, to);
  return {
    from,
    to,
    totals: {
      conversations: rows.reduce((sum, row) => sum + row.conversations, 0),
      comments: rows.reduce((sum, row) => sum + row.comments, 0),
    },
    minutes: rows,
  };
}

export interface GroupLoad {
  readonly group: string;
  readonly jobs5m: number;
  readonly jobs60m: number;
  /** Jobs per second over the last 5 minutes. */
  readonly ratePerSecond5m: number;
}

/** Usage as callers see it: a tenant's own minutes (the usage route) and the busiest groups (operators). */
export interface UsageService {
  tenant(tenantId: TenantId, minutes: number): Promise<UsageReport>;
  top(limit: number): Promise<GroupLoad[]>;
}

export const usageService = (store: UsageStore, clock: Clock): UsageService => ({
  tenant: (tenantId, minutes) => tenantUsage(tenantId, minutes, store, clock),
  top: (limit) => topGroups(store, clock, limit),
});

/** Tenant groups ranked by job rate over the last 5 minutes (then 60), so load is visible and attributable. */
export async function topGroups(store: UsageStore, clock: Clock, limit: number): Promise<GroupLoad[]> {
  const now = clock.now().getTime();
  const minutes = Array.from({ length: 60 }, (_, i) => minuteOf(new Date(now - i * 60_000)));
  const [last5, last60] = await Promise.all([store.groupJobs(minutes.slice(0, 5)), store.groupJobs(minutes)]);
  return Object.keys(last60)
    .map((group) => ({
      group,
      jobs5m: last5[group] ?? 0,
      jobs60m: last60[group] ?? 0,
      ratePerSecond5m: Math.round(((last5[group] ?? 0) / 300) * 100) / 100,
    }))
    .sort((a, b) => b.jobs5m - a.jobs5m || b.jobs60m - a.jobs60m || a.group.localeCompare(b.group))
    .slice(0, limit);
}
