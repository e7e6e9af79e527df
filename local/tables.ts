// Creates the embedded platform's tables on DynamoDB Local from lambdas/schema.ts, the same definitions the CDK
// data stack uses. Existing tables are left as they are, so data survives restarts.
import {
  CreateTableCommand,
  DeleteItemCommand,
  ListTablesCommand,
  PutItemCommand,
  type AttributeValue,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
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

/** The key of the item that primes a new table: sorts after every real key and belongs to no tenant. */
export const PRIMER_KEY = '~PRIMER';

/**
 * Writes and deletes one item. DynamoDB Local keeps a table fast only if the table is first written while the
 * database is still small: a table whose first write comes after tens of thousands of items elsewhere stays 4–7×
 * slower on every later write, also after a restart (measured on DynamoDB Local 2026-01-16). Priming each table
 * as it is created on a fresh database (`npm start`'s first run, the benchmarks) keeps all of them fast; it does
 * not help a table created in an already large database. The primer item carries no `type` and no tenant, so the
 * relay and the move replicators pass over its two stream records.
 */
async function prime(client: DynamoDBClient, name: string, definition: TableDefinition): Promise<void> {
  const keyOf = (attribute: string): AttributeValue => (definition.attributes[attribute] === 'N' ? { N: '0' } : { S: PRIMER_KEY });
  const Key = { [definition.partitionKey]: keyOf(definition.partitionKey), [definition.sortKey]: keyOf(definition.sortKey) };
  await client.send(new PutItemCommand({ TableName: name, Item: Key }));
  await client.send(new DeleteItemCommand({ TableName: name, Key }));
}

/** Creates (and primes) each missing table; returns the names it created. */
export async function ensureTables(
  client: DynamoDBClient,
  tables: readonly { name: string; definition: TableDefinition }[],
): Promise<string[]> {
  const existing = await existingTables(client);
  const missing = tables.filter((table) => !existing.has(table.name));
  await Promise.all(
    missing.map(async (table) => {
      await client.send(new CreateTableCommand(createTableInput(table.name, table.definition)));
      await prime(client, table.name, table.definition);
    }),
  );
  return missing.map((table) => table.name);
}
