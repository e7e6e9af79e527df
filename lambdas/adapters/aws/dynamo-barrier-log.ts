// Which barrier beacons the move replicators have read past, in the control table: one item per barrier round,
// a number set that every replicator adds to (ADD is commutative, so replicators on several stream shards and
// retried batches never lose each other's sightings).
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { controlKeys } from '../../schema.js';
import type { BarrierLog } from '../../core/moves/move-replication.js';

/** Barrier rounds matter for minutes; the item goes away by itself a day later. */
const BARRIER_TTL_SECONDS = 86_400;

export class DynamoBarrierLog implements BarrierLog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async record(moveId: string, round: number, beacons: readonly number[]): Promise<void> {
    if (beacons.length === 0) return;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: controlKeys.moveBarrier(moveId, round),
        UpdateExpression: 'ADD seen :beacons SET expiresAt = :expires',
        ExpressionAttributeValues: { ':beacons': new Set(beacons), ':expires': Math.floor(Date.now() / 1000) + BARRIER_TTL_SECONDS },
      }),
    );
  }

  async seen(moveId: string, round: number): Promise<Set<number>> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: controlKeys.moveBarrier(moveId, round), ConsistentRead: true }),
    );
    return new Set((Item?.seen as Set<number> | undefined) ?? []);
  }
}
