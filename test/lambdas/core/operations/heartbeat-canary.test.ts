import { describe, expect, it } from 'vitest';
import { runHeartbeatCanary, type CanaryRoundTripApi, type CanarySearchHit } from '../../../../lambdas/core/operations/heartbeat-canary.js';

/** A manual clock the fake API and sleep advance, so timings are exact. */
function manualClock(startMs = Date.parse('2026-11-26T03:00:00Z')) {
  let now = startMs;
  return {
    clock: { now: () => new Date(now) },
    advance: (ms: number) => {
      now += ms;
    },
    at: (offsetMs: number) => new Date(startMs + offsetMs),
  };
}

interface FakeApiOptions {
  /** How many searches miss before the comment becomes searchable (Infinity: never). */
  readonly searchableAfterPolls?: number;
  readonly failCreate?: Error;
  readonly failComment?: Error;
  readonly failSearch?: Error;
  /** Each call takes this long on the manual clock. */
  readonly callMs?: number;
}

/** A small in-memory public API: stores what the canary writes and indexes comment bodies after N polls. */
function fakeApi(time: ReturnType<typeof manualClock>, options: FakeApiOptions = {}) {
  const conversations = new Map<string, string[]>();
  const calls: string[] = [];
  const keys: string[] = [];
  let polls = 0;
  let comments: { conversationId: string; commentId: string; body: string }[] = [];
  const api: CanaryRoundTripApi = {
    async createConversation(_input, key) {
      calls.push('create');
      keys.push(key);
      time.advance(options.callMs ?? 40);
      if (options.failCreate) throw options.failCreate;
      const id = `c${conversations.size + 1}`;
      conversations.set(id, []);
      return { id };
    },
    async addComment(conversationId, input, key) {
      calls.push('comment');
      keys.push(key);
      time.advance(options.callMs ?? 40);
      if (options.failComment) throw options.failComment;
      const commentId = `m${comments.length + 1}`;
      comments = [...comments, { conversationId, commentId, body: input.body }];
      return { id: commentId };
    },
    async search(query) {
      calls.push('search');
      time.advance(options.callMs ?? 40);
      polls++;
      if (options.failSearch) throw options.failSearch;
      if (polls <= (options.searchableAfterPolls ?? 0)) return [];
      return comments
        .filter((comment) => comment.body.split(' ').includes(query))
        .map((comment): CanarySearchHit => ({ conversationId: comment.conversationId, commentId: comment.commentId }));
    },
  };
  return { api, calls, keys };
}

const sleeper = (time: ReturnType<typeof manualClock>) => {
  const sleeps: number[] = [];
  return {
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      time.advance(ms);
    },
  };
};

describe('heartbeat canary', () => {
  it('succeeds once the comment is searchable, and reports the create → searchable round trip', async () => {
    const time = manualClock();
    const { api, calls } = fakeApi(time, { searchableAfterPolls: 2 });
    const { sleep, sleeps } = sleeper(time);
    const outcome = await runHeartbeatCanary({ api, clock: time.clock, sleep, deadline: time.at(45_000), nonce: 'n0nce1234abcd' });
    expect(outcome).toMatchObject({ ok: true, conversationId: 'c1', commentId: 'm1', searchPolls: 3 });
    // create 40 + comment 40 + 3 searches of 40 + 2 sleeps of 1000
    expect(outcome.ok && outcome.roundTripMs).toBe(2200);
    expect(outcome.timings).toEqual({ conversationCreatedMs: 40, commentCreatedMs: 80, appliedMs: 2200 });
    expect(calls).toEqual(['create', 'comment', 'search', 'search', 'search']);
    expect(sleeps).toEqual([1000, 1000]);
  });

  it('fails at the downstream stage when the comment never becomes searchable before the deadline', async () => {
    const time = manualClock();
    const { api } = fakeApi(time, { searchableAfterPolls: Infinity });
    const { sleep, sleeps } = sleeper(time);
    const outcome = await runHeartbeatCanary({
      api,
      clock: time.clock,
      sleep,
      deadline: time.at(5_000),
      nonce: 'abcdefgh1',
      pollIntervalMs: 2000,
    });
    expect(outcome).toMatchObject({ ok: false, failedStage: 'applied-downstream', conversationId: 'c1', commentId: 'm1' });
    expect(outcome.ok ? 0 : outcome.elapsedMs).toBeGreaterThanOrEqual(5_000);
    // the last sleep is cut to the time left, so a run never overshoots its deadline by a whole poll interval
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5_000);
    expect(outcome.ok ? '' : outcome.reason).toMatch(/not searchable after \d+ searches/);
  });

  it('reports a failing create as a failed create and never adds a comment or searches', async () => {
    const time = manualClock();
    const { api, calls } = fakeApi(time, { failCreate: new Error('503 writes-paused') });
    const { sleep } = sleeper(time);
    const outcome = await runHeartbeatCanary({ api, clock: time.clock, sleep, deadline: time.at(45_000), nonce: 'abcdefgh2' });
    expect(outcome).toMatchObject({ ok: false, failedStage: 'create-conversation', reason: '503 writes-paused', searchPolls: 0 });
    expect(calls).toEqual(['create']);
  });

  it('reports a failing comment with the conversation it had created', async () => {
    const time = manualClock();
    const { api, calls } = fakeApi(time, { failComment: new Error('500 internal') });
    const { sleep } = sleeper(time);
    const outcome = await runHeartbeatCanary({ api, clock: time.clock, sleep, deadline: time.at(45_000), nonce: 'abcdefgh3' });
    expect(outcome).toMatchObject({ ok: false, failedStage: 'add-comment', conversationId: 'c1', reason: '500 internal' });
    expect(outcome.timings).toEqual({ conversationCreatedMs: 40 });
    expect(calls).toEqual(['create', 'comment']);
  });

  it('retries a failing search until the deadline and names the last error', async () => {
    const time = manualClock();
    const { api, calls } = fakeApi(time, { failSearch: new Error('search unavailable') });
    const { sleep } = sleeper(time);
    const outcome = await runHeartbeatCanary({ api, clock: time.clock, sleep, deadline: time.at(3_500), nonce: 'abcdefgh4' });
    expect(outcome).toMatchObject({ ok: false, failedStage: 'applied-downstream' });
    expect(outcome.ok ? '' : outcome.reason).toMatch(/last search failed: search unavailable/);
    expect(calls.filter((call) => call === 'search').length).toBeGreaterThan(1);
  });

  it('does not count a hit on another conversation or another comment as this run being applied', async () => {
    const time = manualClock();
    const stale: CanaryRoundTripApi = {
      createConversation: async () => ({ id: 'c-now' }),
      addComment: async () => ({ id: 'm-now' }),
      search: async () => {
        time.advance(100);
        return [
          { conversationId: 'c-old', commentId: 'm-old' },
          { conversationId: 'c-now', commentId: 'm-other' },
        ];
      },
    };
    const { sleep } = sleeper(time);
    const outcome = await runHeartbeatCanary({ api: stale, clock: time.clock, sleep, deadline: time.at(2_000), nonce: 'abcdefgh5' });
    expect(outcome).toMatchObject({ ok: false, failedStage: 'applied-downstream' });
  });

  it('fails when a slow write already used up the deadline', async () => {
    const time = manualClock();
    const { api, calls } = fakeApi(time, { callMs: 30_000 });
    const { sleep } = sleeper(time);
    const outcome = await runHeartbeatCanary({ api, clock: time.clock, sleep, deadline: time.at(45_000), nonce: 'abcdefgh6' });
    expect(outcome).toMatchObject({ ok: false, failedStage: 'add-comment' });
    expect(calls).toEqual(['create', 'comment']);
  });

  it('without awaitSearch, the round trip ends at the comment and search is never called', async () => {
    const time = manualClock();
    const { api, calls } = fakeApi(time);
    const { sleep } = sleeper(time);
    const outcome = await runHeartbeatCanary({
      api,
      clock: time.clock,
      sleep,
      deadline: time.at(45_000),
      nonce: 'abcdefgh7',
      awaitSearch: false,
    });
    expect(outcome).toMatchObject({ ok: true, roundTripMs: 80, searchPolls: 0 });
    expect(calls).toEqual(['create', 'comment']);
  });

  it('binds idempotency keys to the nonce so a retried create never writes twice', async () => {
    const time = manualClock();
    const { api, keys } = fakeApi(time);
    const { sleep } = sleeper(time);
    await runHeartbeatCanary({ api, clock: time.clock, sleep, deadline: time.at(45_000), nonce: 'abcdefgh8' });
    expect(keys).toEqual(['canary-abcdefgh8-conversation', 'canary-abcdefgh8-comment']);
  });

  it('refuses a nonce a search tokenizer could split', async () => {
    const time = manualClock();
    const { api } = fakeApi(time);
    await expect(
      runHeartbeatCanary({ api, clock: time.clock, sleep: async () => {}, deadline: time.at(1000), nonce: 'has-dash-1234' }),
    ).rejects.toThrow(/nonce must be 8-64 letters or digits, got 'has-dash-1234'/);
  });
});
