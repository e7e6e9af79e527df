// Operator drains of LLM routes in the control table, all under one partition so each instance reloads them
// with a single Query.
import { PutCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RouteDrain, RouteDrainStore } from '../../core/llm/route-drains.js';
import { controlKeys } from '../../schema.js';

export class DynamoRouteDrainStore implements RouteDrainStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async list(): Promise<RouteDrain[]> {
    const drains: RouteDrain[] = [];
    const query = {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': controlKeys.llmRoutePartition },
    };
    for await (const page of paginateQuery({ client: this.doc }, query)) {
      for (const item of page.Items ?? []) {
        drains.push({
          route: item.sk as string,
          drained: item.drained === true,
          at: item.at as string,
          by: item.by as string,
          ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
        });
      }
    }
    return drains;
  }

  async put(drain: RouteDrain): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...controlKeys.llmRoute(drain.route), drained: drain.drained, at: drain.at, by: drain.by, reason: drain.reason },
      }),
    );
  }
}
