// Wakes the migration runner on AWS: one Step Functions execution per wake-up, named after the migration so a
// second wake-up while one is still running is refused by Step Functions itself (ExecutionAlreadyExists) rather
// than racing it. The runner's steps are version-checked anyway; this only avoids paying for two loops.
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

export function stepFunctionsLauncher(stateMachineArn: string, client = new SFNClient({})): (migrationId: string) => Promise<void> {
  return async (migrationId) => {
    // Execution names are unique per state machine for 90 days; a minute bucket lets a later wake-up start anew.
    const name = `${migrationId}-${Math.floor(Date.now() / 60_000)}`.slice(0, 80);
    try {
      await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ migrationId }) }));
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  };
}
