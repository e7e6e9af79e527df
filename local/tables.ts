// Creates the embedded platform's tables on DynamoDB Local from lambdas/schema.ts, the same definitions the CDK
// data stack uses. Existing tables are left as they are, so data survives restarts.
import { CreateTableCommand, ListTablesCommand, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableDefinition } from '../lambdas/schema.js';

export function createTableInput(name: string, definition: TableDefinition): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: definition.partitionKey, KeyType: 'HASH' },
      { AttributeName: definition.sortKey, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: Object.entries(definition.attributes).map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    ...(definition.globalIndexes.length > 0
      ? {
          GlobalSecondaryIndexes: definition.globalIndexes.map((index) => ({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          })),
        }
      : {}),
    ...(definition.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } } : {}),
  };
}

async function existingTables(client: DynamoDBClient): Promise<Set<string>> {
  const names = new Set<string>();
  let start: string | undefined;
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    for (const name of page.TableNames ?? []) names.add(name);
    start = page.LastEvaluatedTableName;
  } while (start);
  return names;
}

/** Creates each missing table; returns the names it created. */
export async function ensureTables(
  client: DynamoDBClient,
  tables: readonly { name: string; definition: TableDefinition }[],
): Promise<string[]> {
  const existing = await existingTables(client);
  const missing = tables.filter((table) => !existing.has(table.name));
  await Promise.all(missing.map((table) => client.send(new CreateTableCommand(createTableInput(table.name, table.definition)))));
  return missing.map((table) => table.name);
}
