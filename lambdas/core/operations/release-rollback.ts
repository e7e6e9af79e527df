// The rollback action around the decision: it keeps a ledger of each API function's last release (from CodeDeploy's
// deployment state changes) and, when the heartbeat alarm fires, moves back every alias a recent release changed.
// The alias is moved before the rollback is recorded, so a crash in between leaves a rollback that happened but
// is unrecorded (the next run sees the alias already moved), never a recorded rollback that did not happen.
import { decideRollback, type AlarmStateChange, type AliasState, type ReleaseRecord, type RollbackDecision } from './rollback-decision.js';

/** A function whose alias CodeDeploy releases, keyed by its deployment group. */
export interface ReleaseTarget {
  readonly functionName: string;
  readonly aliasName: string;
}

export interface ReleaseLedger {
  latest(functionName: string): Promise<ReleaseRecord | undefined>;
  /** A deployment started: remembers what the alias served before it. Replaces the previous release record. */
  started(release: ReleaseRecord): Promise<void>;
  /** The deployment of `deploymentId` succeeded with `version`; false when a newer deployment replaced the record. */
  finished(functionName: string, deploymentId: string, version: string, finishedAt: string): Promise<boolean>;
  /** Marks the release rolled back and appends to the function's rollback history (control table entry). */
  rolledBack(decision: Extract<RollbackDecision, { action: 'roll-back' }>, alarmName: string, at: string): Promise<void>;
}

export interface AliasControl {
  current(target: ReleaseTarget): Promise<AliasState>;
  /** Points the alias at `version` with all traffic (no weighted routing). */
  moveTo(target: ReleaseTarget, version: string): Promise<void>;
}

/** CodeDeploy deployment states the ledger cares about (others, like FAILURE or STOP, leave the old version serving). */
export interface DeploymentStateChange {
  readonly deploymentGroup: string;
  readonly deploymentId: string;
  readonly state: string;
  readonly at: Date;
}

export interface ReleaseRollbackDeps {
  readonly targets: Readonly<Record<string, ReleaseTarget>>;
  readonly ledger: ReleaseLedger;
  readonly aliases: AliasControl;
}

export type DeploymentRecordOutcome = 'started' | 'finished' | 'superseded' | 'ignored';

/** Records a release's start (the version it replaces) and success (the version it put in place). */
export async function recordDeployment(change: DeploymentStateChange, deps: ReleaseRollbackDeps): Promise<DeploymentRecordOutcome> {
  const target = deps.targets[change.deploymentGroup];
  if (!target) return 'ignored';
  if (change.state === 'START') {
    // During the canary the alias's main version is still the old one (the new one only has a routing weight).
    const alias = await deps.aliases.current(target);
    await deps.ledger.started({
      ...target,
      deploymentId: change.deploymentId,
      previousVersion: alias.currentVersion,
      startedAt: change.at.toISOString(),
    });
    return 'started';
  }
  if (change.state === 'SUCCESS') {
    const alias = await deps.aliases.current(target);
    const recorded = await deps.ledger.finished(target.functionName, change.deploymentId, alias.currentVersion, change.at.toISOString());
    return recorded ? 'finished' : 'superseded';
  }
  return 'ignored';
}

export interface RollbackRun {
  readonly decisions: readonly RollbackDecision[];
  /** The aliases actually moved back. */
  readonly rolledBack: readonly Extract<RollbackDecision, { action: 'roll-back' }>[];
  /** Rollbacks that failed; the caller fails the invocation so it is retried (moved aliases are then left alone). */
  readonly failed: readonly { readonly functionName: string; readonly error: string }[];
}

/** On a heartbeat alarm state change: decides per function, moves back the aliases a recent release changed. */
export async function respondToHeartbeatAlarm(
  change: AlarmStateChange,
  windowMinutes: number,
  deps: ReleaseRollbackDeps,
  now: () => Date,
): Promise<RollbackRun> {
  if (change.state !== 'ALARM') {
    const reason = `${change.alarmName} is ${change.state}: nothing to roll back`;
    return { decisions: [{ action: 'none', functionName: '*', reason }], rolledBack: [], failed: [] };
  }
  const decisions = await Promise.all(
    Object.values(deps.targets).map(async (target) => {
      const [alias, release] = await Promise.all([deps.aliases.current(target), deps.ledger.latest(target.functionName)]);
      return decideRollback({ change, alias, release, windowMinutes });
    }),
  );
  const rolledBack: Extract<RollbackDecision, { action: 'roll-back' }>[] = [];
  const failed: { functionName: string; error: string }[] = [];
  // One function failing to move back must not keep the others on a bad release.
  for (const decision of decisions) {
    if (decision.action !== 'roll-back') continue;
    try {
      await deps.aliases.moveTo(decision, decision.toVersion);
      await deps.ledger.rolledBack(decision, change.alarmName, now().toISOString());
      rolledBack.push(decision);
    } catch (error) {
      failed.push({ functionName: decision.functionName, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { decisions, rolledBack, failed };
}
