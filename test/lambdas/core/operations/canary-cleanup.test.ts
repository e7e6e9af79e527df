import { describe, expect, it } from 'vitest';
import {
  canaryCleanup,
  MAX_DELETES_PER_SWEEP,
  SWEEP_INTERVAL_MS,
  type CanaryCleanupApi,
} from '../../../../lambdas/core/operations/canary-cleanup.js';
import { CANARY_AUTHOR } from '../../../../lambdas/core/operations/heartbeat-canary.js';

const HOUR = 3_600_000;
const START = Date.parse('2026-11-26T03:00:00Z');

/** A manual clock the fake API advances, so deadlines are exact. */
function manualClock() {
  let now = START;
  return {
    clock: { now: () => new Date(now) },
    advance: (ms: number) => {
      now += ms;
    },
    at: (offsetMs: number) => new Date(now + offsetMs),
  };
}

interface Stored {
  readonly id: string;
  readonly author: string;
  readonly updatedAt: string;
  deleted: boolean;
}

interface FakeOptions {
  /** Conversations per listing page. @default 3 */
  readonly pageSize?: number;
  /** Each call takes this long on the manual clock. @default 10 */
  readonly callMs?: number;
  readonly failList?: Error;
  /** The delete of this conversation fails (once). */
  readonly failDeleteOf?: { readonly id: string; readonly error: Error };
}

/**
 * The listing as the public API serves it: live conversations most recently updated first, and a cursor that is a
 * position (strictly older than the last one served), so deleting what was already served moves nothing.
 */
function fakeApi(time: ReturnType<typeof manualClock>, options: FakeOptions = {}) {
  const conversations: Stored[] = [];
  const calls: string[] = [];
  const pageSize = options.pageSize ?? 3;
  let failDelete = options.failDeleteOf;
  const position = (c: Stored) => `${c.updatedAt}#${c.id}`;
  const api: CanaryCleanupApi = {
    async listConversations(cursor) {
      calls.push(`list${cursor === undefined ? '' : ` after ${cursor}`}`);
      time.advance(options.callMs ?? 10);
      if (options.failList) throw options.failList;
      const live = conversations
        .filter((c) => !c.deleted && (cursor === undefined || position(c) < cursor))
        .sort((a, b) => (position(a) < position(b) ? 1 : -1));
      const items = live.slice(0, pageSize).map(({ id, author, updatedAt }) => ({ id, author, updatedAt }));
      return { items, nextCursor: live.length > pageSize ? position(live[pageSize - 1]!) : null };
    },
    async deleteConversation(id) {
      calls.push(`delete ${id}`);
      time.advance(options.callMs ?? 10);
      if (failDelete?.id === id) {
        const { error } = failDelete;
        failDelete = undefined;
        throw error;
      }
      const found = conversations.find((c) => c.id === id);
      if (!found || found.deleted) return false;
      found.deleted = true;
      return true;
    },
  };
  /** A conversation last updated `ageMs` before the start. */
  const add = (id: string, ageMs: number, author = CANARY_AUTHOR) =>
    conversations.push({ id, author, updatedAt: new Date(START - ageMs).toISOString(), deleted: false });
  const remaining = () =>
    conversations
      .filter((c) => !c.deleted)
      .map((c) => c.id)
      .sort();
  return { api, calls, add, remaining, conversations };
}

describe('canary cleanup', () => {
  it('deletes the canary conversations not updated for the retention and keeps the newer ones', async () => {
    const time = manualClock();
    const fake = fakeApi(time);
    fake.add('fresh', 1 * HOUR);
    fake.add('almost', 24 * HOUR - 1);
    fake.add('exactly', 24 * HOUR);
    fake.add('old', 25 * HOUR);
    fake.add('ancient', 400 * HOUR);
    const cleanup = canaryCleanup({ clock: time.clock, retentionHours: 24 });
    const outcome = await cleanup.sweepIfDue(fake.api, time.at(45_000));
    expect(outcome).toEqual({ status: 'swept', deleted: 3, pagesRead: 2, more: false });
    expect(fake.remaining()).toEqual(['almost', 'fresh']);
  });

  it('never deletes a conversation the canary did not write, however old', async () => {
    const time = manualClock();
    const fake = fakeApi(time);
    fake.add('customer', 90 * HOUR, 'someone@example.com');
    fake.add('canary', 90 * HOUR);
    const outcome = await canaryCleanup({ clock: time.clock, retentionHours: 24 }).sweepIfDue(fake.api, time.at(45_000));
    expect(outcome).toMatchObject({ status: 'swept', deleted: 1 });
    expect(fake.remaining()).toEqual(['customer']);
  });

  it('takes the retention from its setting', async () => {
    const time = manualClock();
    const fake = fakeApi(time);
    fake.add('two-hours', 2 * HOUR);
    fake.add('half-hour', HOUR / 2);
    await canaryCleanup({ clock: time.clock, retentionHours: 1 }).sweepIfDue(fake.api, time.at(45_000));
    expect(fake.remaining()).toEqual(['half-hour']);
  });

  it(`deletes at most ${MAX_DELETES_PER_SWEEP} per run and goes on at the next run while more are due`, async () => {
    const time = manualClock();
    const fake = fakeApi(time, { pageSize: 100 });
    for (let i = 0; i < 50; i++) fake.add(`old-${String(i).padStart(2, '0')}`, 30 * HOUR + i * 60_000);
    fake.add('recent', HOUR);
    const cleanup = canaryCleanup({ clock: time.clock, retentionHours: 24 });

    const first = await cleanup.sweepIfDue(fake.api, time.at(45_000));
    expect(first).toEqual({ status: 'swept', deleted: MAX_DELETES_PER_SWEEP, pagesRead: 1, more: true });
    expect(fake.calls.filter((call) => call.startsWith('delete'))).toHaveLength(MAX_DELETES_PER_SWEEP);
    // Newest due first: the oldest wait for the next runs.
    expect(fake.remaining()).toContain('old-49');

    time.advance(60_000);
    expect(await cleanup.sweepIfDue(fake.api, time.at(45_000))).toMatchObject({
      status: 'swept',
      deleted: MAX_DELETES_PER_SWEEP,
      more: true,
    });
    time.advance(60_000);
    expect(await cleanup.sweepIfDue(fake.api, time.at(45_000))).toMatchObject({ status: 'swept', deleted: 10, more: false });
    expect(fake.remaining()).toEqual(['recent']);
  });

  it('stops at the bound without reading the next page, which can only hold older conversations', async () => {
    const time = manualClock();
    const fake = fakeApi(time, { pageSize: MAX_DELETES_PER_SWEEP });
    for (let i = 0; i < MAX_DELETES_PER_SWEEP + 5; i++) fake.add(`old-${i}`, 30 * HOUR + i * 60_000);
    const outcome = await canaryCleanup({ clock: time.clock, retentionHours: 24 }).sweepIfDue(fake.api, time.at(45_000));
    expect(outcome).toEqual({ status: 'swept', deleted: MAX_DELETES_PER_SWEEP, pagesRead: 1, more: true });
    expect(fake.calls.filter((call) => call.startsWith('list'))).toHaveLength(1);
  });

  it('after a sweep that left nothing due, sweeps again only once the interval has passed', async () => {
    const time = manualClock();
    const fake = fakeApi(time);
    fake.add('old', 30 * HOUR);
    const cleanup = canaryCleanup({ clock: time.clock, retentionHours: 24 });
    await cleanup.sweepIfDue(fake.api, time.at(45_000));
    const calls = fake.calls.length;

    time.advance(SWEEP_INTERVAL_MS - 60_000);
    fake.add('due-since', 30 * HOUR);
    expect(await cleanup.sweepIfDue(fake.api, time.at(45_000))).toEqual({
      status: 'not-due',
      nextSweepAt: new Date(START + SWEEP_INTERVAL_MS).toISOString(),
    });
    expect(fake.calls).toHaveLength(calls);

    time.advance(60_000);
    expect(await cleanup.sweepIfDue(fake.api, time.at(45_000))).toMatchObject({ status: 'swept', deleted: 1, more: false });
    expect(fake.remaining()).toEqual([]);
  });

  it('reports a failing delete instead of throwing, and tries again after the interval', async () => {
    const time = manualClock();
    const fake = fakeApi(time, { failDeleteOf: { id: 'b', error: new Error('DELETE /v1/conversations/b answered 503') } });
    fake.add('a', 25 * HOUR);
    fake.add('b', 26 * HOUR);
    fake.add('c', 27 * HOUR);
    const cleanup = canaryCleanup({ clock: time.clock, retentionHours: 24 });
    const failed = await cleanup.sweepIfDue(fake.api, time.at(45_000));
    expect(failed).toEqual({ status: 'failed', deleted: 1, pagesRead: 1, reason: 'DELETE /v1/conversations/b answered 503' });
    // The first failure ends the sweep: a failing API is not hammered with the rest.
    expect(fake.calls.at(-1)).toBe('delete b');

    time.advance(60_000);
    expect(await cleanup.sweepIfDue(fake.api, time.at(45_000))).toMatchObject({ status: 'not-due' });
    time.advance(SWEEP_INTERVAL_MS);
    expect(await cleanup.sweepIfDue(fake.api, time.at(45_000))).toMatchObject({ status: 'swept', deleted: 2, more: false });
    expect(fake.remaining()).toEqual([]);
  });

  it('reports a failing listing instead of throwing', async () => {
    const time = manualClock();
    const fake = fakeApi(time, { failList: new Error('GET /v1/conversations?limit=100 answered 500') });
    fake.add('old', 30 * HOUR);
    const outcome = await canaryCleanup({ clock: time.clock, retentionHours: 24 }).sweepIfDue(fake.api, time.at(45_000));
    expect(outcome).toEqual({ status: 'failed', deleted: 0, pagesRead: 0, reason: 'GET /v1/conversations?limit=100 answered 500' });
  });

  it('stops at the deadline, leaving the rest to the next run', async () => {
    const time = manualClock();
    const fake = fakeApi(time, { pageSize: 100, callMs: 1_000 });
    for (let i = 0; i < 10; i++) fake.add(`old-${i}`, 30 * HOUR + i * 60_000);
    const cleanup = canaryCleanup({ clock: time.clock, retentionHours: 24 });
    // One listing and three deletes fit before the deadline.
    const outcome = await cleanup.sweepIfDue(fake.api, time.at(4_000));
    expect(outcome).toEqual({ status: 'swept', deleted: 3, pagesRead: 1, more: true });
    expect(await cleanup.sweepIfDue(fake.api, time.at(60_000))).toMatchObject({ status: 'swept', deleted: 7, more: false });
  });

  it('counts a conversation already gone against the bound, not as deleted', async () => {
    const time = manualClock();
    const fake = fakeApi(time);
    fake.add('old', 30 * HOUR);
    const racing: CanaryCleanupApi = {
      listConversations: fake.api.listConversations,
      deleteConversation: async () => false,
    };
    const outcome = await canaryCleanup({ clock: time.clock, retentionHours: 24 }).sweepIfDue(racing, time.at(45_000));
    expect(outcome).toEqual({ status: 'swept', deleted: 0, pagesRead: 1, more: false });
  });

  it('never deletes a conversation whose update time it cannot read', async () => {
    const time = manualClock();
    const api: CanaryCleanupApi = {
      listConversations: async () => ({ items: [{ id: 'odd', author: CANARY_AUTHOR, updatedAt: 'yesterday' }], nextCursor: null }),
      deleteConversation: async () => {
        throw new Error('must not be called');
      },
    };
    expect(await canaryCleanup({ clock: time.clock, retentionHours: 24 }).sweepIfDue(api, time.at(45_000))).toMatchObject({
      status: 'swept',
      deleted: 0,
    });
  });
});
