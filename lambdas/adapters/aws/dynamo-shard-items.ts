// One shard table as tenant moves use it: version-guarded copies, consistent batch reads, throttled deletes, the
// tenant's placement markers (the write fence) and barrier beacons. Conditions live here, next to the keys, so
// the guard `attribute_not_exists(pk) OR v < :v` (or the kind's own version, see itemVersion) is the only way a
// move ever writes a tenant item.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { LISTING_BUCKETS, shardKeys } from '../../schema.js';
import { itemVersion, keyString, type ItemKey, type ShardItemStore } from '../../core/moves/move-replication.js';
import type { PlacementMarker, PlacementMarkers, PlacementState } from '../../core/tenancy/placement-fence.js';
import type { ShardItem } from '../../core/tenancy/tenant-items.js';
import { failedConditionIndex, isConditionFailure, withConflictRetry } from './dynamo-errors.js';

/** Beacons expire a day after a barrier round: long enough for any stream reader, short enough to never pile up. */
const BEACON_TTL_SECONDS = 86_400;

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

/** BatchGet/BatchWrite return what they could not do under load; this retries it with backoff until done. */
async function untilDone<T>(initial: T | undefined, send: (request: T) => Promise<T | undefined>): Promise<void> {
  let pending = initial;
  for (let attempt = 0; pending !== undefined; attempt++) {
    if (attempt > 0) await sleep(Math.min(1000, 10 * 2 ** attempt));
    pending = await send(pending);
  }
}

export class DynamoShardItems implements ShardItemStore, PlacementMarkers {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async putIfNewer(item: ShardItem): Promise<boolean> {
    const version = itemVersion(item);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: item as Record<string, unknown>,
          ConditionExpression: 'attribute_not_exists(pk) OR #version < :version',
          ExpressionAttributeNames: { '#version': version.attribute },
          ExpressionAttributeValues: { ':version': version.value },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getMany(keys: readonly ItemKey[]): Promise<Map<string, ShardItem>> {
    const found = new Map<string, ShardItem>();
    const unique = [...new Map(keys.map((key) => [keyString(key), { pk: key.pk, sk: key.sk }])).values()];
    await Promise.all(
      chunks(unique, 100).map((batch) =>
        untilDone<Record<string, unknown>[]>(batch, async (request) => {
          const response = await this.doc.send(
            new BatchGetCommand({ RequestItems: { [this.table]: { Keys: request, ConsistentRead: true } } }),
          );
          for (const item of response.Responses?.[this.table] ?? []) found.set(keyString(item as ItemKey), item);
          const left = response.UnprocessedKeys?.[this.table]?.Keys;
          return left && left.length > 0 ? left : undefined;
        }),
      ),
    );
    return found;
  }

  async deleteMany(keys: readonly ItemKey[]): Promise<void> {
    await Promise.all(
      chunks(keys, 25).map((batch) =>
        untilDone(
          batch.map((key) => ({ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } })),
          async (request) => {
            const response = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: request } }));
            const left = response.UnprocessedItems?.[this.table];
            return left && left.length > 0 ? (left as typeof request) : undefined;
          },
        ),
      ),
    );
  }

  async writeBeacons(moveId: string, round: number, count: number): Promise<void> {
    const expiresAt = Math.floor(Date.now() / 1000) + BEACON_TTL_SECONDS;
    const items = Array.from({ length: count }, (_, n) => ({
      ...shardKeys.beacon(moveId, round, n),
      type: 'beacon',
      moveId,
      round,
      expiresAt,
    }));
    await Promise.all(
      chunks(items, 25).map((batch) =>
        untilDone(
          batch.map((item) => ({ PutRequest: { Item: item } })),
          async (request) => {
            const response = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: request } }));
            const left = response.UnprocessedItems?.[this.table];
            return left && left.length > 0 ? (left as typeof request) : undefined;
          },
        ),
      ),
    );
  }

  async read(tenantId: string): Promise<PlacementMarker | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: shardKeys.placement(tenantId, 0), ConsistentRead: true }),
    );
    return Item ? { state: Item.state as PlacementState, epoch: Item.epoch as number } : undefined;
  }

  /** Sets every bucket's marker to `state`/`epoch` in one transaction, each under `condition`. */
  private async setMarkers(
    tenantId: string,
    state: PlacementState,
    epoch: number,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await withConflictRetry(
        () =>
          this.doc.send(
            new TransactWriteCommand({
              TransactItems: Array.from({ length: LISTING_BUCKETS }, (_, bucket) => ({
                Update: {
                  TableName: this.table,
                  Key: shardKeys.placement(tenantId, bucket),
                  UpdateExpression: 'SET #state = :state, epoch = :epoch, tenantId = :tenant, #type = :placement',
                  ConditionExpression: condition,
                  ExpressionAttributeNames: { '#state': 'state', '#type': 'type' },
                  ExpressionAttributeValues: {
                    ':state': state,
                    ':epoch': epoch,
                    ':tenant': tenantId,
                    ':placement': 'placement',
                    ...values,
                  },
                },
              })),
            }),
          ),
        // A fence competes with the tenant's own writes for the markers: keep trying a little longer.
        10,
      );
      return true;
    } catch (error) {
      if (failedConditionIndex(error) >= 0) return false;
      throw error;
    }
  }

  fence(tenantId: string, epoch: number): Promise<boolean> {
    return this.setMarkers(tenantId, 'fenced', epoch, 'attribute_not_exists(pk) OR (epoch = :epoch AND #state <> :moved)', {
      ':moved': 'moved',
    });
  }

  async unfence(tenantId: string, epoch: number): Promise<void> {
    await this.setMarkers(tenantId, 'active', epoch, 'attribute_not_exists(pk) OR (epoch = :epoch AND #state = :fenced)', {
      ':fenced': 'fenced',
    });
  }

  async activate(tenantId: string, epoch: number): Promise<void> {
    if (!(await this.setMarkers(tenantId, 'active', epoch, 'attribute_not_exists(pk) OR epoch <= :epoch', {}))) {
      throw new Error(`tenant ${tenantId} already has a placement newer than epoch ${epoch} on ${this.table}`);
    }
  }

  async retire(tenantId: string, epoch: number): Promise<void> {
    await this.setMarkers(tenantId, 'moved', epoch, 'attribute_not_exists(pk) OR epoch <= :epoch', {});
  }
}
