import { describe, expect, it } from 'vitest';
import { decideRollback, type AlarmStateChange, type AliasState, type ReleaseRecord } from '../../../../lambdas/core/operations/rollback-decision.js';

const alarmAt = new Date('2026-11-26T03:30:00Z');
const alarm: AlarmStateChange = { alarmName: 'HeadroomAlarms-CustomersCannotWrite', state: 'ALARM', at: alarmAt };
const alias: AliasState = { functionName: 'create-conversation-fn', aliasName: 'live', currentVersion: '8' };
const minutesBeforeAlarm = (minutes: number) => new Date(alarmAt.getTime() - minutes * 60_000).toISOString();
const release = (overrides: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  functionName: 'create-conversation-fn',
  aliasName: 'live',
  deploymentId: 'd-ABC123',
  previousVersion: '7',
  version: '8',
  startedAt: minutesBeforeAlarm(20),
  finishedAt: minutesBeforeAlarm(12),
  ...overrides,
});
const decide = (overrides: { change?: AlarmStateChange; alias?: AliasState; release?: ReleaseRecord | undefined } = {}) =>
  decideRollback({
    change: overrides.change ?? alarm,
    alias: overrides.alias ?? alias,
    release: 'release' in overrides ? overrides.release : release(),
    windowMinutes: 30,
  });

describe('rollback decision', () => {
  it('moves the alias back to the version the release replaced when the release finished inside the window', () => {
    expect(decide()).toEqual({
      action: 'roll-back',
      functionName: 'create-conversation-fn',
      aliasName: 'live',
      deploymentId: 'd-ABC123',
      fromVersion: '8',
      toVersion: '7',
      reason: 'HeadroomAlarms-CustomersCannotWrite went into ALARM 12 minutes after release d-ABC123 moved live from version 7 to 8',
    });
  });

  it('rolls back a release that finished just inside the window, and not one that finished at its edge or earlier', () => {
    expect(decide({ release: release({ finishedAt: minutesBeforeAlarm(29.9) }) }).action).toBe('roll-back');
    const atEdge = decide({ release: release({ finishedAt: minutesBeforeAlarm(30) }) });
    expect(atEdge).toMatchObject({
      action: 'none',
      reason: expect.stringMatching(/finished 30 minutes before the alarm, outside the 30-minute window/),
    });
    expect(decide({ release: release({ finishedAt: minutesBeforeAlarm(240) }) }).action).toBe('none');
  });

  it.each(['OK', 'INSUFFICIENT_DATA'] as const)('does nothing when the alarm goes to %s', (state) => {
    expect(decide({ change: { ...alarm, state } })).toMatchObject({
      action: 'none',
      reason: expect.stringContaining(`is ${state}, not ALARM`),
    });
  });

  it('does nothing when no release of the function was ever recorded', () => {
    expect(decide({ release: undefined })).toMatchObject({ action: 'none', reason: 'no release of this function has been recorded' });
  });

  it('does nothing for a release it already rolled back (a redelivered alarm event)', () => {
    const decision = decide({ release: release({ rolledBackAt: minutesBeforeAlarm(1) }) });
    expect(decision).toMatchObject({ action: 'none', reason: expect.stringContaining('already rolled back') });
  });

  it('leaves a release that is still shifting traffic to CodeDeploy and its own alarms', () => {
    const decision = decide({ release: release({ finishedAt: undefined, version: undefined }) });
    expect(decision).toMatchObject({ action: 'none', reason: expect.stringContaining('still shifting traffic') });
  });

  it('does nothing when the version the release replaced is unknown', () => {
    const decision = decide({ release: release({ previousVersion: undefined }) });
    expect(decision).toMatchObject({ action: 'none', reason: expect.stringContaining('no recorded previous version') });
  });

  it('does nothing when the release did not change the version', () => {
    const decision = decide({ release: release({ previousVersion: '8' }) });
    expect(decision).toMatchObject({ action: 'none', reason: expect.stringContaining('did not change the version') });
  });

  it('never undoes a newer release or a manual move: the alias must still serve the released version', () => {
    const decision = decide({ alias: { ...alias, currentVersion: '9' } });
    expect(decision).toMatchObject({ action: 'none', reason: expect.stringMatching(/serves version 9, not 8 .* left alone/) });
  });

  it('never rolls back a release that finished after the drop began (a fix deployed forward)', () => {
    const decision = decide({ release: release({ finishedAt: new Date(alarmAt.getTime() + 60_000).toISOString() }) });
    expect(decision).toMatchObject({ action: 'none', reason: expect.stringContaining('finished after') });
  });
});
