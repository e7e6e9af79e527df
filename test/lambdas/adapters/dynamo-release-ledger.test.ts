import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoReleaseLedger } from '../../../lambdas/adapters/aws/dynamo-release-ledger.js';
import { controlKeys } from '../../../lambdas/schema.js';
import { createTestTables, type TestTables } from '../../support/dynamo.js';

describe('DynamoDB release ledger (DynamoDB Local)', () => {
  let tables: TestTables;
  let ledger: DynamoReleaseLedger;
  beforeAll(async () => {
    tables = await createTestTables(1);
    ledger = new DynamoReleaseLedger(tables.doc, tables.controlTable);
  });

  const start = (functionName: string, deploymentId: string) =>
    ledger.started({ functionName, aliasName: 'live', deploymentId, previousVersion: '3', startedAt: '2026-11-26T03:00:00.000Z' });

  it('keeps a release from its start to its success', async () => {
    await start('fn-a', 'd-1');
    expect(await ledger.finished('fn-a', 'd-1', '4', '2026-11-26T03:06:00.000Z')).toBe(true);
    expect(await ledger.latest('fn-a')).toEqual({
      functionName: 'fn-a',
      aliasName: 'live',
      deploymentId: 'd-1',
      previousVersion: '3',
      version: '4',
      startedAt: '2026-11-26T03:00:00.000Z',
      finishedAt: '2026-11-26T03:06:00.000Z',
    });
  });

  it('never lets the success of an older deployment land on a newer release', async () => {
    await start('fn-b', 'd-old');
    await start('fn-b', 'd-new');
    expect(await ledger.finished('fn-b', 'd-old', '9', '2026-11-26T03:07:00.000Z')).toBe(false);
    expect(await ledger.latest('fn-b')).toMatchObject({ deploymentId: 'd-new' });
    expect((await ledger.latest('fn-b'))?.finishedAt).toBeUndefined();
  });

  it('records a rollback on the release and in the function’s rollback history, in one transaction', async () => {
    await start('fn-c', 'd-7');
    await ledger.finished('fn-c', 'd-7', '4', '2026-11-26T03:06:00.000Z');
    const decision = {
      action: 'roll-back',
      functionName: 'fn-c',
      aliasName: 'live',
      deploymentId: 'd-7',
      fromVersion: '4',
      toVersion: '3',
      reason: 'because',
    } as const;
    await ledger.rolledBack(decision, 'HeadroomAlarms-CustomersCannotWrite', '2026-11-26T03:20:00.000Z');
    expect(await ledger.latest('fn-c')).toMatchObject({ rolledBackAt: '2026-11-26T03:20:00.000Z' });
    const { Items } = await tables.doc.send(
      new QueryCommand({
        TableName: tables.controlTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': controlKeys.rollback('fn-c', '').pk },
      }),
    );
    expect(Items).toEqual([
      expect.objectContaining({
        fromVersion: '4',
        toVersion: '3',
        alarmName: 'HeadroomAlarms-CustomersCannotWrite',
        deploymentId: 'd-7',
        reason: 'because',
      }),
    ]);
  });

  it('refuses to mark a release rolled back when a newer release replaced it meanwhile', async () => {
    await start('fn-d', 'd-1');
    await ledger.finished('fn-d', 'd-1', '4', '2026-11-26T03:06:00.000Z');
    await start('fn-d', 'd-2');
    const decision = {
      action: 'roll-back',
      functionName: 'fn-d',
      aliasName: 'live',
      deploymentId: 'd-1',
      fromVersion: '4',
      toVersion: '3',
      reason: 'x',
    } as const;
    await expect(ledger.rolledBack(decision, 'alarm', '2026-11-26T03:20:00.000Z')).rejects.toThrow();
    expect((await ledger.latest('fn-d'))?.rolledBackAt).toBeUndefined();
  });
});
