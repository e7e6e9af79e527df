// Derived-data repair passes in the control table (`REPAIR` / `PASS#<id>`), every save conditional on the version
// the runner read, so two runners (a retried schedule, an overlapping invocation) never both advance one pass.
// Passes expire after a month: `repair status` needs the last few, not the history.
import { paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RepairPass, RepairPassStore } from '../../core/repair/derived-data-repair.js';
import { controlKeys } from '../../schema.js';
import { putIfVersion } from './dynamo-errors.js';

const PASS_TTL_SECONDS = 30 * 24 * 3600;

export class DynamoRepairPassStore implements RepairPassStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async list(): Promise<RepairPass[]> {
    const passes: RepairPass[] = [];
    const query = {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': controlKeys.repairPassPartition },
      ConsistentRead: true,
    };
    for await (const page of paginateQuery({ client: this.doc }, query)) {
      for (const item of page.Items ?? []) passes.push(JSON.parse(item.pass as string) as RepairPass);
    }
    return passes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  // The pass is one JSON string: its cursor and tallies are the core's, opaque to the store.
  put(pass: RepairPass, expectedVersion: number): Promise<boolean> {
    return putIfVersion(
      this.doc,
      this.table,
      {
        ...controlKeys.repairPass(pass.id),
        type: 'repair-pass',
        version: pass.version,
        pass: JSON.stringify(pass),
        expiresAt: Math.floor(Date.parse(pass.requestedAt) / 1000) + PASS_TTL_SECONDS,
      },
      expectedVersion,
    );
  }
}
