// Fresh, uniquely named tables on the run's DynamoDB Local, built from lambdas/schema.ts like everywhere else.
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import type { ShardTopology } from '../../lambdas/core/tenancy/shard-topology.js';
import { CONTROL_TABLE, SHARD_TABLE } from '../../lambdas/schema.js';
import { ensureTables } from '../../local/tables.js';

export interface TestTables {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly topology: ShardTopology;
  readonly controlTable: string;
}

export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export async function createTestTables(shardCount = 2, dedicated: Record<string, string> = {}): Promise<TestTables> {
  const endpoint = inject('dynamoEndpoint');
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: localCredentials });
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const topology: ShardTopology = Array.from({ length: shardCount }, (_, n) => ({
    name: `shard-${n}`,
    table: `${prefix}-shard-${n}`,
    ...(dedicated[`shard-${n}`] ? { dedicatedTo: dedicated[`shard-${n}`] } : {}),
  }));
  const controlTable = `${prefix}-control`;
  await ensureTables(client, [
    ...topology.map((shard) => ({ name: shard.table, definition: SHARD_TABLE })),
    { name: controlTable, definition: CONTROL_TABLE },
  ]);
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { endpoint, client, doc, topology, controlTable };
}
