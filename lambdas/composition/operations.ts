// The composition of the two operations functions (the synthetic canary and the rollback action). Each reads its
// environment on its first invocation, never at import, so its bundle loads bare and a missing variable fails the
// invocation by name, as every other function does; each loads only its own adapters (and their SDK clients), once
// per instance, so the canary never initialises the Lambda or DynamoDB clients and the rollback action never Secrets
// Manager.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CANARY_REQUEST_TIMEOUT_MS, createCanaryApiClient } from '../adapters/http/canary-api-client.js';
import { canaryCleanup, type CanaryCleanup } from '../core/operations/canary-cleanup.js';
import type { CanaryApi } from '../core/operations/heartbeat-canary.js';
import type { ReleaseRollbackDeps } from '../core/operations/release-rollback.js';
import { systemClock, type Clock } from '../core/ports.js';
import { ENV } from '../environment.js';
import { canaryEnvironmentSchema, OPERATIONS_ENV, readOperationsEnvironment, rollbackEnvironmentSchema } from '../operations-contract.js';

export interface CanaryDeps {
  /** The longest a run may take; the handler shortens it to leave the invocation time to flush its metrics. */
  readonly deadlineSeconds: number;
  readonly awaitSearch: boolean;
  /** The public API as the canary tenant, with its current token; rejects when the token cannot be read. */
  api(): Promise<CanaryApi>;
  /** The longest one of its requests may take. */
  readonly requestTimeoutMs: number;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  /** A fresh run nonce: letters and digits only, as the canary requires. */
  nonce(): string;
  /** Deletes the canary's conversations past the retention; one per instance, so it paces its own sweeps. */
  readonly cleanup: CanaryCleanup;
}

export interface RollbackDeps extends ReleaseRollbackDeps {
  /** How recent a release must be for the heartbeat alarm to roll it back. */
  readonly windowMinutes: number;
  readonly now: () => Date;
}

/** The token is re-read every few minutes, so rotating the canary's token needs no redeploy. */
const TOKEN_CACHE_MS = 5 * 60_000;

/** `read`'s value, shared until it is `maxAgeMs` old; a failed read is forgotten at once, so the next run retries. */
function refreshing(read: () => Promise<string>, maxAgeMs: number): () => Promise<string> {
  let cached: { readonly value: Promise<string>; readonly readAt: number } | undefined;
  return () => {
    if (!cached || Date.now() - cached.readAt > maxAgeMs) {
      const value = read();
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
      cached = { value, readAt: Date.now() };
    }
    return cached.value;
  };
}

let canary: CanaryDeps | undefined;

/** The canary's dependencies, composed on the first invocation. */
export function canaryDeps(): CanaryDeps {
  if (canary) return canary;
  const env = readOperationsEnvironment(canaryEnvironmentSchema);
  const token = refreshing(async () => {
    const { readSecretString } = await import('../adapters/aws/secret-string.js');
    const value = (await readSecretString(env[OPERATIONS_ENV.canaryTokenSecretArn])).trim();
    if (!value) throw new Error('the canary token secret is empty');
    return value;
  }, TOKEN_CACHE_MS);
  return (canary = {
    deadlineSeconds: env[OPERATIONS_ENV.canaryDeadlineSeconds],
    awaitSearch: env[OPERATIONS_ENV.canaryAwaitSearch],
    api: async () => createCanaryApiClient({ baseUrl: env[OPERATIONS_ENV.canaryApiUrl], token: await token() }),
    requestTimeoutMs: CANARY_REQUEST_TIMEOUT_MS,
    clock: systemClock,
    sleep: (ms) => sleep(ms),
    nonce: () => randomBytes(12).toString('hex'),
    cleanup: canaryCleanup({ clock: systemClock, retentionHours: env[OPERATIONS_ENV.canaryRetentionHours] }),
  });
}

let rollback: Promise<RollbackDeps> | undefined;

/** The rollback action's dependencies, composed on the first invocation (retried on the next if that fails). */
export function rollbackDeps(): Promise<RollbackDeps> {
  if (!rollback) {
    const composing = composeRollback();
    composing.catch(() => {
      if (rollback === composing) rollback = undefined;
    });
    rollback = composing;
  }
  return rollback;
}

async function composeRollback(): Promise<RollbackDeps> {
  const env = readOperationsEnvironment(rollbackEnvironmentSchema);
  const [{ createDocumentClient }, { DynamoReleaseLedger }, { LambdaAliasControl }] = await Promise.all([
    import('../adapters/aws/aws-clients.js'),
    import('../adapters/aws/dynamo-release-ledger.js'),
    import('../adapters/aws/lambda-alias-control.js'),
  ]);
  return {
    targets: env[OPERATIONS_ENV.releaseTargets],
    // The control table holds the release ledger and the rollback history.
    ledger: new DynamoReleaseLedger(createDocumentClient(), env[ENV.controlTable]),
    aliases: new LambdaAliasControl(),
    windowMinutes: env[OPERATIONS_ENV.rollbackWindowMinutes],
    now: () => new Date(),
  };
}
