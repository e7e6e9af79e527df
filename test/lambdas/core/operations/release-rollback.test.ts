import { describe, expect, it } from 'vitest';
import {
  recordDeployment,
  respondToHeartbeatAlarm,
  type AliasControl,
  type ReleaseLedger,
  type ReleaseRollbackDeps,
  type ReleaseTarget,
} from '../../../../lambdas/core/operations/release-rollback.js';
import type { ReleaseRecord } from '../../../../lambdas/core/operations/rollback-decision.js';

/** The ports as small in-memory stores, behaving like the DynamoDB ledger and Lambda aliases they stand for. */
function world(targets: Record<string, ReleaseTarget>, versions: Record<string, string>) {
  const releases = new Map<string, ReleaseRecord>();
  const history: { functionName: string; from: string; to: string; alarmName: string; at: string }[] = [];
  const moves: string[] = [];
  const failMoves = new Set<string>();
  const ledger: ReleaseLedger = {
    latest: async (fn) => releases.get(fn),
    started: async (release) => void releases.set(release.functionName, release),
    finished: async (fn, deploymentId, version, finishedAt) => {
      const current = releases.get(fn);
      if (current && current.deploymentId !== deploymentId) return false;
      releases.set(fn, {
        ...(current ?? { ...Object.values(targets).find((t) => t.functionName === fn)!, deploymentId, startedAt: finishedAt }),
        version,
        finishedAt,
      });
      return true;
    },
    rolledBack: async (decision, alarmName, at) => {
      releases.set(decision.functionName, { ...releases.get(decision.functionName)!, rolledBackAt: at });
      history.push({ functionName: decision.functionName, from: decision.fromVersion, to: decision.toVersion, alarmName, at });
    },
  };
  const aliases: AliasControl = {
    current: async (target) => ({ ...target, currentVersion: versions[target.functionName]! }),
    moveTo: async (target, version) => {
      if (failMoves.has(target.functionName)) throw new Error(`UpdateAlias throttled for ${target.functionName}`);
      moves.push(`${target.functionName}:${target.aliasName}→${version}`);
      versions[target.functionName] = version;
    },
  };
  const deps: ReleaseRollbackDeps = { targets, ledger, aliases };
  return { deps, releases, history, moves, versions, failMoves };
}

const targets = {
  'dg-create': { functionName: 'create-fn', aliasName: 'live' },
  'dg-list': { functionName: 'list-fn', aliasName: 'live' },
};
const t0 = Date.parse('2026-11-26T03:00:00Z');
const at = (minutes: number) => new Date(t0 + minutes * 60_000);

/** One full CodeDeploy release of `group`: START while the old version serves, SUCCESS once the new one does. */
async function release(
  w: ReturnType<typeof world>,
  group: keyof typeof targets,
  id: string,
  newVersion: string,
  startMin: number,
  endMin: number,
) {
  expect(await recordDeployment({ deploymentGroup: group, deploymentId: id, state: 'START', at: at(startMin) }, w.deps)).toBe('started');
  w.versions[targets[group].functionName] = newVersion;
  expect(await recordDeployment({ deploymentGroup: group, deploymentId: id, state: 'SUCCESS', at: at(endMin) }, w.deps)).toBe('finished');
}

describe('release rollback', () => {
  it('records a release as the version it replaced and the version it put in place', async () => {
    const w = world(targets, { 'create-fn': '3', 'list-fn': '5' });
    await release(w, 'dg-create', 'd-1', '4', 0, 6);
    expect(w.releases.get('create-fn')).toMatchObject({
      deploymentId: 'd-1',
      previousVersion: '3',
      version: '4',
      finishedAt: at(6).toISOString(),
    });
  });

  it('moves back only the alias a recent release changed, and records the rollback', async () => {
    const w = world(targets, { 'create-fn': '3', 'list-fn': '5' });
    await release(w, 'dg-create', 'd-1', '4', 0, 6);
    const run = await respondToHeartbeatAlarm({ alarmName: 'cannot-write', state: 'ALARM', at: at(20) }, 30, w.deps, () => at(21));
    expect(w.moves).toEqual(['create-fn:live→3']);
    expect(run.rolledBack.map((d) => d.functionName)).toEqual(['create-fn']);
    expect(run.decisions.find((d) => d.functionName === 'list-fn')).toMatchObject({
      action: 'none',
      reason: 'no release of this function has been recorded',
    });
    expect(w.history).toEqual([{ functionName: 'create-fn', from: '4', to: '3', alarmName: 'cannot-write', at: at(21).toISOString() }]);
    expect(run.failed).toEqual([]);
  });

  it('does nothing the second time the same alarm arrives (EventBridge delivers at least once)', async () => {
    const w = world(targets, { 'create-fn': '3', 'list-fn': '5' });
    await release(w, 'dg-create', 'd-1', '4', 0, 6);
    const change = { alarmName: 'cannot-write', state: 'ALARM' as const, at: at(20) };
    await respondToHeartbeatAlarm(change, 30, w.deps, () => at(21));
    const again = await respondToHeartbeatAlarm(change, 30, w.deps, () => at(22));
    expect(again.rolledBack).toEqual([]);
    expect(w.moves).toEqual(['create-fn:live→3']);
    expect(w.history).toHaveLength(1);
  });

  it('leaves everything alone when the last release finished outside the window', async () => {
    const w = world(targets, { 'create-fn': '3', 'list-fn': '5' });
    await release(w, 'dg-create', 'd-1', '4', 0, 6);
    const run = await respondToHeartbeatAlarm({ alarmName: 'cannot-write', state: 'ALARM', at: at(45) }, 30, w.deps, () => at(45));
    expect(run.rolledBack).toEqual([]);
    expect(w.moves).toEqual([]);
  });

  it('ignores recovery (OK) without reading any alias', async () => {
    const w = world(targets, { 'create-fn': '3', 'list-fn': '5' });
    await release(w, 'dg-create', 'd-1', '4', 0, 6);
    const run = await respondToHeartbeatAlarm({ alarmName: 'cannot-write', state: 'OK', at: at(10) }, 30, w.deps, () => at(10));
    expect(run.rolledBack).toEqual([]);
    expect(w.moves).toEqual([]);
  });

  it('a success of an older deployment never overwrites the record of a newer one', async () => {
    const w = world(targets, { 'create-fn': '3', 'list-fn': '5' });
    await recordDeployment({ deploymentGroup: 'dg-create', deploymentId: 'd-old', state: 'START', at: at(0) }, w.deps);
    await recordDeployment({ deploymentGroup: 'dg-create', deploymentId: 'd-new', state: 'START', at: at(1) }, w.deps);
    const outcome = await recordDeployment({ deploymentGroup: 'dg-create', deploymentId: 'd-old', state: 'SUCCESS', at: at(2) }, w.deps);
    expect(outcome).toBe('superseded');
    expect(w.releases.get('create-fn')?.deploymentId).toBe('d-new');
    expect(w.releases.get('create-fn')?.finishedAt).toBeUndefined();
  });

  it('ignores deployment groups it does not manage and states other than START and SUCCESS', async () => {
    const w = world(targets, { 'create-fn': '3', 'list-fn': '5' });
    expect(await recordDeployment({ deploymentGroup: 'someone-else', deploymentId: 'd-9', state: 'START', at: at(0) }, w.deps)).toBe(
      'ignored',
    );
    expect(await recordDeployment({ deploymentGroup: 'dg-create', deploymentId: 'd-9', state: 'FAILURE', at: at(0) }, w.deps)).toBe(
      'ignored',
    );
    expect(w.releases.size).toBe(0);
  });

  it('keeps rolling back the other functions when one alias cannot be moved, and reports the failure', async () => {
    const w = world(targets, { 'create-fn': '3', 'list-fn': '5' });
    await release(w, 'dg-create', 'd-1', '4', 0, 6);
    await release(w, 'dg-list', 'd-2', '6', 0, 7);
    w.failMoves.add('create-fn');
    const run = await respondToHeartbeatAlarm({ alarmName: 'cannot-write', state: 'ALARM', at: at(20) }, 30, w.deps, () => at(21));
    expect(w.moves).toEqual(['list-fn:live→5']);
    expect(run.failed).toEqual([{ functionName: 'create-fn', error: 'UpdateAlias throttled for create-fn' }]);
    // Nothing recorded for the alias that did not move, so a retry still rolls it back.
    expect(w.releases.get('create-fn')?.rolledBackAt).toBeUndefined();
  });
});
