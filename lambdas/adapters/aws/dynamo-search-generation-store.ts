// The search generation registry in the control table: one `SEARCHGEN` partition, so every indexer instance
// reads all generations with one Query; writes are conditional on the version the writer read.
import { paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { controlKeys } from '../../schema.js';
import type { SearchGenerationStore } from '../../core/ports.js';
import type { GenerationRecord } from '../../core/search/search-generations.js';
import { putIfVersion } from './dynamo-errors.js';

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
    const item = {
      ...controlKeys.searchGeneration(record.generation),
      type: 'search-generation',
      version: record.version,
      record: JSON.stringify(record),
    };
    return putIfVersion(this.doc, this.table, item, expectedVersion);
  }
}
