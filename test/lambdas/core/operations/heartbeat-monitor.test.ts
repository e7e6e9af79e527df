import { describe, expect, it } from 'vitest';
import {
  INITIAL_HEARTBEAT_STATE,
  judgeHeartbeatPeriod,
  nextHeartbeatState,
  type HeartbeatPeriod,
  type HeartbeatState,
} from '../../../../lambdas/core/operations/heartbeat-monitor.js';

const quietNight: HeartbeatPeriod = {
  writesCommitted: 0,
  writeRequests: 0,
  writeServerErrors: 0,
  canaryRuns: 0,
  canaryFailures: 0,
  baselinePerMinute: [0, 0, 0],
};
const healthy: HeartbeatPeriod = { ...quietNight, writesCommitted: 12, writeRequests: 12, canaryRuns: 1 };
const dynamoDown: HeartbeatPeriod = { ...quietNight, writeRequests: 9, writeServerErrors: 9, canaryRuns: 1, canaryFailures: 1 };

function run(periods: readonly HeartbeatPeriod[], state: HeartbeatState = INITIAL_HEARTBEAT_STATE) {
  const transitions: string[] = [];
  periods.forEach((period, minute) => {
    const step = nextHeartbeatState(state, period, new Date(Date.UTC(2026, 0, 1, 3, minute)));
    state = step.state;
    if (step.transition) transitions.push(`${minute}:${step.transition}`);
  });
  return { state, transitions };
}

describe('heartbeat monitor', () => {
  it('a quiet night with no traffic expected never pages', () => {
    expect(judgeHeartbeatPeriod(quietNight).verdict).toBe('quiet');
    expect(run(Array(60).fill(quietNight)).transitions).toEqual([]);
  });

  it('raises once after two failing periods and clears once after two healthy ones', () => {
    const { transitions, state } = run([healthy, dynamoDown, dynamoDown, dynamoDown, dynamoDown, healthy, healthy, healthy]);
    expect(transitions).toEqual(['2:raised', '6:cleared']);
    expect(state.alarm).toBe(false);
    expect(state.since).toBe('2026-01-01T03:06:00.000Z');
  });

  it('one failing period between healthy ones does not flap the alarm', () => {
    expect(run([healthy, dynamoDown, healthy, dynamoDown, healthy]).transitions).toEqual([]);
  });

  it('a single lucky write while the alarm is up does not clear it', () => {
    expect(run([dynamoDown, dynamoDown, healthy, dynamoDown, healthy]).transitions).toEqual(['1:raised']);
  });

  it('a failing canary pages even when customers are silent', () => {
    expect(judgeHeartbeatPeriod({ ...quietNight, canaryRuns: 1, canaryFailures: 1 })).toMatchObject({
      verdict: 'failing',
      reason: expect.stringContaining('canary failed 1 of 1'),
    });
  });

  it('mostly 5xx on the write routes fails the period even though a few writes commit', () => {
    expect(judgeHeartbeatPeriod({ ...quietNight, writesCommitted: 2, writeRequests: 10, writeServerErrors: 8 })).toMatchObject({
      verdict: 'failing',
      reason: '8 of 10 write requests failed with 5xx (2 writes committed)',
    });
    expect(judgeHeartbeatPeriod({ ...quietNight, writesCommitted: 9, writeRequests: 10, writeServerErrors: 1 }).verdict).toBe('healthy');
  });

  it('silence after steady traffic fails (the API may be unreachable), silence after none does not', () => {
    expect(judgeHeartbeatPeriod({ ...quietNight, baselinePerMinute: [30, 25, 40] })).toMatchObject({
      verdict: 'failing',
      reason: expect.stringContaining('averaged 31.7 writes a minute'),
    });
    expect(judgeHeartbeatPeriod({ ...quietNight, baselinePerMinute: [0, 1, 0] }).verdict).toBe('quiet');
  });

  it('writes refused with 4xx only (bad input, throttling) are not an outage', () => {
    expect(judgeHeartbeatPeriod({ ...quietNight, writeRequests: 20, baselinePerMinute: [30, 30] }).verdict).toBe('quiet');
  });

  it('a quiet period keeps a raised alarm up', () => {
    const { state, transitions } = run([dynamoDown, dynamoDown, quietNight, quietNight]);
    expect(transitions).toEqual(['1:raised']);
    expect(state).toMatchObject({ alarm: true, since: '2026-01-01T03:01:00.000Z', last: { verdict: 'quiet' } });
  });
});
