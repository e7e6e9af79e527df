// When customers stop being able to write shortly after a release finished, the release is the first suspect:
// move the alias back to the version it replaced, without waiting for a human. The decision only ever moves an
// alias from the exact version that release put there to the exact version it replaced, so it can never undo a
// newer release, a manual rollback, or a fix that was deployed since; anything it cannot attribute it leaves alone.

/** The heartbeat composite alarm's state change, as CloudWatch reports it. */
export interface AlarmStateChange {
  readonly alarmName: string;
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  /** When the alarm changed state. */
  readonly at: Date;
}

/** The last release CodeDeploy made of one function's alias (recorded from its deployment state changes). */
export interface ReleaseRecord {
  readonly functionName: string;
  readonly aliasName: string;
  readonly deploymentId: string;
  /** The version the release put behind the alias; unknown until the deployment succeeded. */
  readonly version?: string;
  /** The version the alias served before the release. */
  readonly previousVersion?: string;
  readonly startedAt: string;
  /** When CodeDeploy reported the deployment successful: all traffic on `version`. */
  readonly finishedAt?: string;
  /** Set once the rollback action moved the alias back for this release. */
  readonly rolledBackAt?: string;
}

/** What the alias serves right now. */
export interface AliasState {
  readonly functionName: string;
  readonly aliasName: string;
  readonly currentVersion: string;
}

export type RollbackDecision =
  | {
      readonly action: 'roll-back';
      readonly functionName: string;
      readonly aliasName: string;
      readonly deploymentId: string;
      readonly fromVersion: string;
      readonly toVersion: string;
      readonly reason: string;
    }
  | { readonly action: 'none'; readonly functionName: string; readonly reason: string };

export interface RollbackDecisionInput {
  readonly change: AlarmStateChange;
  readonly alias: AliasState;
  readonly release?: ReleaseRecord;
  /** Only a release that finished less than this long before the alarm is suspected. */
  readonly windowMinutes: number;
}

export function decideRollback({ change, alias, release, windowMinutes }: RollbackDecisionInput): RollbackDecision {
  const none = (reason: string): RollbackDecision => ({ action: 'none', functionName: alias.functionName, reason });
  if (change.state !== 'ALARM') return none(`${change.alarmName} is ${change.state}, not ALARM: nothing to roll back`);
  if (!release) return none('no release of this function has been recorded');
  if (release.rolledBackAt) return none(`release ${release.deploymentId} was already rolled back at ${release.rolledBackAt}`);
  if (!release.finishedAt || !release.version) {
    return none(`release ${release.deploymentId} is still shifting traffic: its CodeDeploy alarms stop and roll it back`);
  }
  if (!release.previousVersion) return none(`release ${release.deploymentId} has no recorded previous version to return to`);
  if (release.previousVersion === release.version) return none(`release ${release.deploymentId} did not change the version`);
  if (alias.currentVersion !== release.version) {
    return none(
      `alias ${alias.aliasName} serves version ${alias.currentVersion}, not ${release.version} from release ${release.deploymentId}: ` +
        'it has moved since (a newer release or a manual change), so it is left alone',
    );
  }
  const minutesBefore = (change.at.getTime() - Date.parse(release.finishedAt)) / 60_000;
  // A release that finished after the drop began did not cause it: with the heartbeat gate off, that is the fix.
  if (minutesBefore < 0) {
    return none(`release ${release.deploymentId} finished after ${change.alarmName} went into ALARM: it did not cause the drop`);
  }
  if (minutesBefore >= windowMinutes) {
    return none(
      `release ${release.deploymentId} finished ${Math.floor(minutesBefore)} minutes before the alarm, ` +
        `outside the ${windowMinutes}-minute window: the drop is not attributed to it`,
    );
  }
  return {
    action: 'roll-back',
    functionName: alias.functionName,
    aliasName: alias.aliasName,
    deploymentId: release.deploymentId,
    fromVersion: release.version,
    toVersion: release.previousVersion,
    reason:
      `${change.alarmName} went into ALARM ${Math.round(minutesBefore)} minutes after release ` +
      `${release.deploymentId} moved ${alias.aliasName} from version ${release.previousVersion} to ${release.version}`,
  };
}
