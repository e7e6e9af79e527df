// The search generation registry in the control table: one `SEARCHGEN` partition, so every indexer instance
// reads all generations with one Query; writes are conditional on the version the writer read.
import { paginateQuery, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { controlKeys } from '../../schema.js';
import type { SearchGenerationStore } from '../../core/ports.js';
import type { GenerationRecord } from '../../core/search-generations.js';
import { isConditionFailure } from './dynamo-errors.js';

export class DynamoSearchGenerationStore implements SearchGenerationStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async list(): Promise<GenerationRecord[]> {
    const records: GenerationRecord[] = [];
    for await (const page of paginateQuery(
      { client: this.doc },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': controlKeys.searchGenerationPartition },
        ConsistentRead: true,
      },
    ))
      for (const item of page.Items ?? []) records.push(JSON.parse(item.record as string) as GenerationRecord);
    return records;
  }

  async put(record: GenerationRecord, expectedVersion: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...controlKeys.searchGeneration(record.generation),
            type: 'search-generation',
            version: record.version,
            record: JSON.stringify(record),
          },
          ...(expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
