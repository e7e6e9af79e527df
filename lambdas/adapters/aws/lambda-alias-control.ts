// Reads and moves a function's alias with the Lambda API. A move clears any weighted routing, so after a
// rollback every request goes to the version moved to, including a canary's share still on the bad one.
import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import type { AliasControl, ReleaseTarget } from '../../core/operations/release-rollback.js';
import type { AliasState } from '../../core/operations/rollback-decision.js';

export class LambdaAliasControl implements AliasControl {
  constructor(private readonly lambda: LambdaClient = new LambdaClient({})) {}

  async current(target: ReleaseTarget): Promise<AliasState> {
    const alias = await this.lambda.send(new GetAliasCommand({ FunctionName: target.functionName, Name: target.aliasName }));
    if (!alias.FunctionVersion) throw new Error(`alias ${target.aliasName} of ${target.functionName} names no version`);
    return { ...target, currentVersion: alias.FunctionVersion };
  }

  async moveTo(target: ReleaseTarget, version: string): Promise<void> {
    await this.lambda.send(
      new UpdateAliasCommand({
        FunctionName: target.functionName,
        Name: target.aliasName,
        FunctionVersion: version,
        RoutingConfig: { AdditionalVersionWeights: {} },
        Description: `rolled back to version ${version} by the Headroom rollback action`,
      }),
    );
  }
}
