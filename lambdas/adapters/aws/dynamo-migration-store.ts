// Migration state in the control table (`MIGRATION#<id>` / `STATE`, per tenant `TENANT#<t>`), every write
// conditional on the version the writer read, so two runners (or a runner and an operator) can never
// silently overwrite each other. A `MIGRATIONS` index item per migration lets operators list them in one Query.
import { BatchGetCommand, GetCommand, paginateQuery, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { controlKeys } from '../../schema.js';
import type { MigrationKind, MigrationRecord, MigrationTenantRecord } from '../../core/migrations/migration-runner.js';
import type { MigrationStore } from '../../core/ports.js';
import { failedConditionIndex, putIfVersion } from './dynamo-errors.js';

type Item = Record<string, unknown>;

const toRecord = (item: Item): MigrationRecord => ({
  id: item.id as string,
  kind: item.kind as MigrationKind,
  phase: item.phase as string,
  params: JSON.parse(item.params as string) as Record<string, unknown>,
  version: item.version as number,
  createdAt: item.createdAt as string,
  updatedAt: item.updatedAt as string,
  phaseTimestamps: item.phaseTimestamps as Record<string, string>,
  ...(typeof item.lastError === 'string' ? { lastError: item.lastError } : {}),
});

// Params are stored as one JSON string: playbook state is opaque to the store and may hold empty maps,
// which DynamoDB's document mapping would otherwise reshape.
const toItem = (record: MigrationRecord<unknown>): Item => ({
  ...controlKeys.migration(record.id),
  type: 'migration',
  id: record.id,
  kind: record.kind,
  phase: record.phase,
  params: JSON.stringify(record.params),
  version: record.version,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
  phaseTimestamps: record.phaseTimestamps,
  ...(record.lastError === undefined ? {} : { lastError: record.lastError }),
});

const toTenant = (item: Item): MigrationTenantRecord => ({
  migrationId: item.migrationId as string,
  tenantId: item.tenantId as string,
  data: JSON.parse(item.data as string) as Record<string, unknown>,
  version: item.version as number,
});

export class DynamoMigrationStore implements MigrationStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async create(record: MigrationRecord<unknown>): Promise<boolean> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.table, Item: toItem(record), ConditionExpression: 'attribute_not_exists(pk)' } },
            {
              Put: {
                TableName: this.table,
                Item: { ...controlKeys.migrationIndex(record.id), kind: record.kind, createdAt: record.createdAt },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (failedConditionIndex(error) === 0) return false;
      throw error;
    }
  }

  async get(id: string): Promise<MigrationRecord | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: controlKeys.migration(id), ConsistentRead: true }));
    return Item ? toRecord(Item) : undefined;
  }

  async save(record: MigrationRecord<unknown>, expectedVersion: number): Promise<boolean> {
    return putIfVersion(this.doc, this.table, toItem(record), expectedVersion);
  }

  async list(kind?: MigrationKind): Promise<MigrationRecord[]> {
    const ids: string[] = [];
    for await (const page of paginateQuery(
      { client: this.doc },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': controlKeys.migrationIndexPartition },
      },
    ))
      for (const item of page.Items ?? []) if (!kind || item.kind === kind) ids.push(item.sk as string);
    const records: MigrationRecord[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      let keys: Record<string, unknown>[] = ids.slice(i, i + 100).map((id) => controlKeys.migration(id));
      while (keys.length > 0) {
        const { Responses, UnprocessedKeys } = await this.doc.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }),
        );
        records.push(...(Responses?.[this.table] ?? []).map(toRecord));
        keys = UnprocessedKeys?.[this.table]?.Keys ?? [];
      }
    }
    return records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async getTenant(id: string, tenantId: string): Promise<MigrationTenantRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: controlKeys.migrationTenant(id, tenantId), ConsistentRead: true }),
    );
    return Item ? toTenant(Item) : undefined;
  }

  async putTenant(record: MigrationTenantRecord<unknown>, expectedVersion: number): Promise<boolean> {
    return putIfVersion(
      this.doc,
      this.table,
      {
        ...controlKeys.migrationTenant(record.migrationId, record.tenantId),
        type: 'migration-tenant',
        migrationId: record.migrationId,
        tenantId: record.tenantId,
        data: JSON.stringify(record.data),
        version: record.version,
      },
      expectedVersion,
    );
  }

  async listTenants(id: string): Promise<MigrationTenantRecord[]> {
    const tenants: MigrationTenantRecord[] = [];
    for await (const page of paginateQuery(
      { client: this.doc },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :tenant)',
        ExpressionAttributeValues: { ':pk': controlKeys.migrationPartition(id), ':tenant': 'TENANT#' },
        ConsistentRead: true,
      },
    ))
      tenants.push(...(page.Items ?? []).map(toTenant));
    return tenants;
  }
}
