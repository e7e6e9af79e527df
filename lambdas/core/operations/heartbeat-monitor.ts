// The heartbeat monitor's decision: page when customers cannot write while traffic is expected, never because a
// quiet night has no writes. Each period is judged on evidence (committed creates, write requests and their 5xx,
// canary runs); a period with no evidence either way changes nothing. Hysteresis (several failing periods to
// raise, several healthy ones to clear) keeps one slow request or one lucky write from flapping the alarm.

export interface HeartbeatPeriod {
  /** ConversationCreated + CommentCreated committed in the period. */
  readonly writesCommitted: number;
  /** Requests answered on the write routes in the period, and how many of them were 5xx. */
  readonly writeRequests: number;
  readonly writeServerErrors: number;
  /** Canary round trips that finished in the period, and how many failed. */
  readonly canaryRuns: number;
  readonly canaryFailures: number;
  /** Writes committed per minute in the minutes before the period: the traffic customers usually bring. */
  readonly baselinePerMinute: readonly number[];
}

export interface HeartbeatMonitorConfig {
  /** Consecutive failing periods before the alarm is raised. @default 2 */
  readonly raiseAfterPeriods: number;
  /** Consecutive healthy periods before a raised alarm clears. @default 2 */
  readonly clearAfterPeriods: number;
  /** Share of write requests answered 5xx at which a period fails even though some writes commit. @default 0.5 */
  readonly maxServerErrorRatio: number;
  /**
   * Mean baseline writes per minute from which a period without any write request at all is suspicious (the
   * API itself may be unreachable), like the static floor under the anomaly band on AWS. @default 1
   */
  readonly expectedWritesPerMinute: number;
}

export const DEFAULT_HEARTBEAT_MONITOR: HeartbeatMonitorConfig = {
  raiseAfterPeriods: 2,
  clearAfterPeriods: 2,
  maxServerErrorRatio: 0.5,
  expectedWritesPerMinute: 1,
};

export type HeartbeatVerdict = 'healthy' | 'failing' | 'quiet';

export interface HeartbeatJudgement {
  readonly verdict: HeartbeatVerdict;
  /** One sentence an operator can act on. */
  readonly reason: string;
}

export interface HeartbeatState {
  readonly alarm: boolean;
  /** When the alarm was raised (or last cleared); null before either happened. */
  readonly since: string | null;
  readonly failingStreak: number;
  readonly healthyStreak: number;
  readonly last: (HeartbeatJudgement & { readonly at: string }) | null;
}

export const INITIAL_HEARTBEAT_STATE: HeartbeatState = { alarm: false, since: null, failingStreak: 0, healthyStreak: 0, last: null };

export interface HeartbeatStep {
  readonly state: HeartbeatState;
  /** Set only on the evaluation that changed the alarm: the monitor says so exactly once each way. */
  readonly transition?: 'raised' | 'cleared';
}

const mean = (values: readonly number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);

export function judgeHeartbeatPeriod(
  period: HeartbeatPeriod,
  config: HeartbeatMonitorConfig = DEFAULT_HEARTBEAT_MONITOR,
): HeartbeatJudgement {
  const { writesCommitted, writeRequests, writeServerErrors, canaryRuns, canaryFailures } = period;
  if (canaryFailures > 0)
    return {
      verdict: 'failing',
      reason: `the canary failed ${canaryFailures} of ${canaryRuns} round trips (${writesCommitted} writes committed)`,
    };
  if (writeRequests > 0 && writeServerErrors / writeRequests >= config.maxServerErrorRatio)
    return {
      verdict: 'failing',
      reason: `${writeServerErrors} of ${writeRequests} write requests failed with 5xx (${writesCommitted} writes committed)`,
    };
  if (writesCommitted > 0)
    return {
      verdict: 'healthy',
      reason: `${writesCommitted} writes committed, ${writeServerErrors} of ${writeRequests} write requests 5xx`,
    };
  const baseline = mean(period.baselinePerMinute);
  // Write requests that were all refused with 4xx (bad input, throttling) are the callers' problem, not an outage.
  if (writeRequests === 0 && canaryRuns === 0 && baseline >= config.expectedWritesPerMinute)
    return {
      verdict: 'failing',
      reason: `no write reached the API, while the previous ${period.baselinePerMinute.length} minutes averaged ${baseline.toFixed(1)} writes a minute`,
    };
  return { verdict: 'quiet', reason: 'no writes expected and none seen' };
}

/** Judges one period and moves the alarm state; `at` is the end of the period. */
export function nextHeartbeatState(
  state: HeartbeatState,
  period: HeartbeatPeriod,
  at: Date,
  config: HeartbeatMonitorConfig = DEFAULT_HEARTBEAT_MONITOR,
): HeartbeatStep {
  const judgement = judgeHeartbeatPeriod(period, config);
  const last = { ...judgement, at: at.toISOString() };
  if (judgement.verdict === 'quiet') return { state: { ...state, last } };
  if (judgement.verdict === 'failing') {
    const failingStreak = state.failingStreak + 1;
    const raise = !state.alarm && failingStreak >= config.raiseAfterPeriods;
    return {
      state: { alarm: state.alarm || raise, since: raise ? last.at : state.since, failingStreak, healthyStreak: 0, last },
      ...(raise ? { transition: 'raised' as const } : {}),
    };
  }
  const healthyStreak = state.healthyStreak + 1;
  const clear = state.alarm && healthyStreak >= config.clearAfterPeriods;
  return {
    state: { alarm: state.alarm && !clear, since: clear ? last.at : state.since, failingStreak: 0, healthyStreak, last },
    ...(clear ? { transition: 'cleared' as const } : {}),
  };
}
