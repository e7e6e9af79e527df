// Write fencing on DynamoDB Local: a writer whose cached route is stale (old shard, old epoch) is refused by the
// shard itself, follows the directory and lands its write on the new shard; a fenced tenant's writes wait a bounded
// time and then get a 503 with Retry-After; another tenant on the same shard is never held up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { DynamoShardItems } from '../../../../lambdas/adapters/aws/dynamo-shard-items.js';
import { DynamoTenantPlacement } from '../../../../lambdas/adapters/aws/dynamo-tenant-placement.js';
import { PlacementRefused } from '../../../../lambdas/core/tenancy/placement-fence.js';
import type { ConversationRecord } from '../../../../lambdas/core/ports.js';
import { Problem } from '../../../../lambdas/core/problems.js';
import { createMoveWorld, type MoveWorld } from '../../../support/move-world.js';

let world: MoveWorld;
let markers: (shard: number) => DynamoShardItems;
let placement: DynamoTenantPlacement;

beforeAll(async () => {
  world = await createMoveWorld({ shards: 2 });
  markers = (shard) => new DynamoShardItems(world.tables.doc, world.tables.topology[shard]!.table);
  placement = new DynamoTenantPlacement(world.tables.doc, world.tables.controlTable);
});
afterAll(async () => {
  await world?.close();
});

const conversation = (): ConversationRecord => {
  const at = new Date().toISOString();
  return { id: uuidv7(), subject: 's', body: 'b', author: 'a', createdAt: at, updatedAt: at, commentCount: 0, version: 1, deleted: false };
};

describe('placement fence', () => {
  it('refuses a write through a stale route on the old shard, and the following store retries it on the new shard', async () => {
    const tenant = await world.tenant('stale', 'shard-0');
    const follower = await world.writer(tenant); // caches shard-0 / epoch 1 for 30 s
    const stale = world.pinned({ tenantId: tenant, shard: 'shard-0', epoch: 1, group: tenant, tier: 'standard' });
    const first = conversation();
    await follower.createConversation(first);

    // The cutover, by hand: fence, activate the target, flip, retire the source.
    expect(await markers(0).fence(tenant, 1)).toBe(true);
    await markers(1).activate(tenant, 2);
    expect(await placement.flip(tenant, 'shard-0', 1, 'shard-1')).toBe(true);
    await markers(0).retire(tenant, 1);

    await expect(stale.createConversation(conversation())).rejects.toEqual(new PlacementRefused('moved', 1));
    await expect(
      stale.addComment({
        id: uuidv7(),
        conversationId: first.id,
        body: 'c',
        author: 'a',
        createdAt: new Date().toISOString(),
        version: 1,
        deleted: false,
      }),
    ).rejects.toBeInstanceOf(PlacementRefused);
    await expect(stale.softDeleteConversation(first.id, new Date().toISOString())).rejects.toBeInstanceOf(PlacementRefused);

    const moved = conversation();
    expect(await follower.createConversation(moved)).toEqual({ kind: 'written' });
    expect((await world.items('shard-1', tenant)).map((item) => item.id)).toContain(moved.id);
    expect((await world.items('shard-0', tenant)).map((item) => item.id)).not.toContain(moved.id);
    // A route with the right shard but an older epoch is refused too.
    const oldEpoch = world.pinned({ tenantId: tenant, shard: 'shard-1', epoch: 1, group: tenant, tier: 'standard' });
    await expect(oldEpoch.createConversation(conversation())).rejects.toEqual(new PlacementRefused('stale-epoch', 2));
  });

  it('holds a fenced tenant’s writes for the configured wait, then answers 503 with Retry-After; a neighbour writes on', async () => {
    const tenant = await world.tenant('fenced', 'shard-0');
    const neighbour = await world.tenant('next-door', 'shard-0');
    const writer = await world.writer(tenant, { maxWaitMs: 300 });
    const other = await world.writer(neighbour, { maxWaitMs: 300 });
    await markers(0).fence(tenant, 1);

    const started = Date.now();
    const refused = await writer.createConversation(conversation()).catch((error: unknown) => error);
    const waited = Date.now() - started;
    expect(refused).toBeInstanceOf(Problem);
    expect((refused as Problem).status).toBe(503);
    expect((refused as Problem).extensions.retryAfterSeconds).toBe(1);
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(2000);

    const neighbourStarted = Date.now();
    expect(await other.createConversation(conversation())).toEqual({ kind: 'written' });
    expect(Date.now() - neighbourStarted).toBeLessThan(300);

    // Lifted within the wait: the held write goes through.
    const pending = writer.createConversation(conversation());
    setTimeout(() => void markers(0).unfence(tenant, 1), 100);
    expect(await pending).toEqual({ kind: 'written' });
  });
});
