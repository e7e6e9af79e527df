// Flags in the control table: one item per flag under a shared partition (one Query loads them all) and an
// append-only audit partition per flag. A flag and its audit entry are written in one transaction, conditional
// on the version the writer read, so concurrent edits cannot silently overwrite each other.
import { GetCommand, paginateQuery, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FlagRecord } from '../../core/flags/flag-definitions.js';
import type { FlagAuditEntry, FlagStore, FlagWriteResult } from '../../core/ports.js';
import { controlKeys } from '../../schema.js';
import { failedConditionIndex } from './dynamo-errors.js';

const toRecord = (item: Record<string, unknown>): FlagRecord => ({
  key: item.sk as string,
  version: item.version as number,
  definition: JSON.parse(item.definition as string) as FlagRecord['definition'],
  overlay: JSON.parse(item.overlay as string) as FlagRecord['overlay'],
  updatedAt: item.updatedAt as string,
  updatedBy: item.updatedBy as string,
});

export class DynamoFlagStore implements FlagStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async loadAll(): Promise<FlagRecord[]> {
    const records: FlagRecord[] = [];
    const query = {
      TableName: this.table,
      KeyConditionExpression: 'pk = :flags',
      ExpressionAttributeValues: { ':flags': controlKeys.flagPartition },
    };
    for await (const page of paginateQuery({ client: this.doc }, query)) records.push(...(page.Items ?? []).map(toRecord));
    return records;
  }

  async get(key: string): Promise<FlagRecord | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: controlKeys.flag(key), ConsistentRead: true }));
    return Item ? toRecord(Item) : undefined;
  }

  async write(next: FlagRecord, expectedVersion: number, audit: FlagAuditEntry): Promise<FlagWriteResult> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: {
                  ...controlKeys.flag(next.key),
                  type: 'flag',
                  version: next.version,
                  definition: JSON.stringify(next.definition),
                  overlay: JSON.stringify(next.overlay),
                  updatedAt: next.updatedAt,
                  updatedBy: next.updatedBy,
                },
                ...(expectedVersion === 0
                  ? { ConditionExpression: 'attribute_not_exists(pk)' }
                  : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: {
                  ...controlKeys.flagAudit(audit.key, audit.at, audit.version),
                  type: 'flag-audit',
                  entry: JSON.stringify(audit),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return { ok: true };
    } catch (error) {
      if (failedConditionIndex(error) !== 0) throw error;
      return { ok: false, currentVersion: (await this.get(next.key))?.version ?? 0 };
    }
  }

  async history(key: string, limit: number): Promise<FlagAuditEntry[]> {
    const { Items } = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :audit',
        ExpressionAttributeValues: { ':audit': controlKeys.flagAuditPartition(key) },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (Items ?? []).map((item) => JSON.parse(item.entry as string) as FlagAuditEntry);
  }
}
