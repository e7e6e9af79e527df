// The tenant-move playbook on DynamoDB Local with real stream pollers as replicators: a move copies everything the
// tenant owns (idempotency keys and summaries too), flips the directory with epoch + 1 behind a short per-tenant
// fence, keeps the old copy in sync until `complete`, and survives being killed in every phase while the tenant (and
// its neighbour) keep writing.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { DynamoSummaryStore } from '../../../../lambdas/adapters/aws/dynamo-summary-store.js';
import { Problem } from '../../../../lambdas/core/problems.js';
import type { ConversationRecord, ConversationStore, IdempotencyClaim } from '../../../../lambdas/core/ports.js';
import type { TenantId } from '../../../../lambdas/core/tenancy/tenancy.js';
import { shardKeys } from '../../../../lambdas/schema.js';
import { eventually } from '../../../support/local-api.js';
import { createMoveWorld, type MoveWorld } from '../../../support/move-world.js';

let world: MoveWorld;

beforeAll(async () => {
  world = await createMoveWorld({ shards: 3 });
});
afterAll(async () => {
  await world?.close();
});

const at = () => new Date().toISOString();

async function seed(store: ConversationStore, conversations: number, commentsEach: number, acked?: Acked) {
  const ids: string[] = [];
  for (let c = 0; c < conversations; c++) {
    const id = uuidv7();
    const now = at();
    await store.createConversation({
      id,
      subject: `s${c}`,
      body: 'b',
      author: 'a',
      createdAt: now,
      updatedAt: now,
      commentCount: 0,
      version: 1,
      deleted: false,
    });
    const comments = new Set<string>();
    for (let m = 0; m < commentsEach; m++) {
      const comment = uuidv7();
      await store.addComment({ id: comment, conversationId: id, body: `m${m}`, author: 'a', createdAt: at(), version: 1, deleted: false });
      comments.add(comment);
    }
    acked?.conversations.set(id, { comments, deleted: false });
    ids.push(id);
  }
  return ids;
}

/** What a writer was told: each conversation it created, the comments acknowledged on it, and whether it deleted it. */
interface Acked {
  readonly conversations: Map<string, { comments: Set<string>; deleted: boolean }>;
  refused: number;
}

/** One worker: creates, comments, deletes on its own conversations until told to stop. */
async function writeUntil(store: ConversationStore, acked: Acked, stop: () => boolean): Promise<void> {
  const mine: string[] = [];
  while (!stop()) {
    // A customer's steady stream of writes, not a load test: the point is what happens to them during the move.
    await sleep(5 + Math.random() * 20);
    const roll = Math.random();
    try {
      if (mine.length === 0 || roll < 0.25) {
        const id = uuidv7();
        const now = at();
        const outcome = await store.createConversation({
          id,
          subject: 's',
          body: 'b',
          author: 'a',
          createdAt: now,
          updatedAt: now,
          commentCount: 0,
          version: 1,
          deleted: false,
        });
        if (outcome.kind === 'written') {
          acked.conversations.set(id, { comments: new Set(), deleted: false });
          mine.push(id);
        }
      } else if (roll < 0.93) {
        const conversationId = mine[Math.floor(Math.random() * mine.length)]!;
        const state = acked.conversations.get(conversationId)!;
        if (state.deleted) continue;
        const id = uuidv7();
        const outcome = await store.addComment({ id, conversationId, body: 'c', author: 'a', createdAt: at(), version: 1, deleted: false });
        if (outcome.kind === 'written') state.comments.add(id);
      } else {
        const conversationId = mine.shift()!;
        if (await store.softDeleteConversation(conversationId, at())) acked.conversations.get(conversationId)!.deleted = true;
      }
    } catch (error) {
      if (!(error instanceof Problem && error.slug === 'writes-paused')) throw error;
      acked.refused++;
    }
  }
}

/** Lost, duplicated and stale items of `acked` among the items on `shard`. */
async function audit(shard: string, tenantId: string, acked: Acked) {
  const items = await world.items(shard, tenantId);
  const metas = new Map(items.filter((item) => item.sk === 'META').map((item) => [item.id as string, item]));
  const comments = new Map<string, string[]>();
  for (const item of items.filter((entry) => entry.type === 'comment')) {
    comments.set(item.conversationId as string, [...(comments.get(item.conversationId as string) ?? []), item.id as string]);
  }
  let lost = 0;
  let duplicated = 0;
  let stale = 0;
  for (const [id, state] of acked.conversations) {
    const meta = metas.get(id);
    if (!meta) {
      lost += 1 + state.comments.size;
      continue;
    }
    const expectedV = 1 + state.comments.size + (state.deleted ? 1 : 0);
    if ((meta.v as number) < expectedV || meta.deleted !== state.deleted || meta.commentCount !== state.comments.size) stale++;
    const stored = comments.get(id) ?? [];
    lost += [...state.comments].filter((comment) => !stored.includes(comment)).length;
    duplicated += stored.length - new Set(stored).size + stored.filter((comment) => !state.comments.has(comment)).length;
  }
  duplicated += [...metas.keys()].filter((id) => !acked.conversations.has(id)).length;
  return { lost, duplicated, stale, items: items.length };
}

describe('tenant move', () => {
  it('copies conversations, comments and tombstones, flips the directory with epoch + 1, and cleans the old shard only at complete', async () => {
    const tenant = await world.tenant('quiet', 'shard-0');
    const store = await world.writer(tenant);
    const ids = await seed(store, 12, 3);
    await store.softDeleteConversation(ids[0]!, at());

    const started = await world.moves.admin.start(tenant, 'shard-1');
    expect(started).toMatchObject({ phase: 'copying', from: 'shard-0', to: 'shard-1' });
    const soaking = await world.run(started.id);
    expect(soaking.phase).toBe('soaking');
    expect(soaking.params.verify.report).toMatchObject({ processed: 48, matching: 48, missing: 0, mismatched: 0, extra: 0 });
    // The copy was measured against the tenant's items counted before its first page; both verify scans are counted.
    expect(soaking.params.backfill.estimated).toBe(48);
    expect(soaking.params.backfill.copied + soaking.params.backfill.stale).toBe(48);
    expect(soaking.params.verify.targetRead).toBe(48);
    // The run that cut over left it soaking, waiting for the operator, who is told the command.
    expect((await world.moves.admin.show(tenant)).progress).toMatchObject({
      fraction: null,
      running: false,
      next: { command: `headroom moves complete ${tenant}` },
    });
    expect(soaking.params.cutover.fenceMs).toBeGreaterThan(0);
    expect(Object.keys(soaking.phaseTimestamps).sort()).toEqual(['catching-up', 'copying', 'cutting-over', 'soaking', 'verifying']);
    expect(await world.control.getTenant(tenant)).toMatchObject({ shard: 'shard-1', epoch: 2 });

    const target = await world.items('shard-1', tenant);
    expect(target).toHaveLength(48);
    expect(target.find((item) => item.id === ids[0])).toMatchObject({ deleted: true, v: 5 });
    // Until `complete`, the old copy is kept (and kept current by reverse replication).
    expect(await world.items('shard-0', tenant)).toHaveLength(48);

    await world.moves.admin.complete(tenant);
    const completed = await world.run(started.id);
    expect(completed.phase).toBe('completed');
    expect(completed.params.cleanup).toMatchObject({ shard: 'shard-0', estimated: 48, deleted: 48 });
    expect((await world.moves.admin.show(tenant)).progress).toMatchObject({
      fraction: null,
      running: false,
      next: { command: 'headroom shards list' },
    });
    expect(await world.items('shard-0', tenant)).toHaveLength(0);
    expect(await world.items('shard-1', tenant)).toHaveLength(48);
  });

  it('under concurrent writes and a runner killed once in every phase, the target ends equal to what was acknowledged: 0 lost, 0 duplicated, 0 stale', async () => {
    const tenant = await world.tenant('busy', 'shard-0');
    const neighbour = await world.tenant('neighbour', 'shard-0');
    const acked: Acked = { conversations: new Map(), refused: 0 };
    await seed(await world.writer(tenant), 10, 3, acked);
    const neighbourAcked: Acked = { conversations: new Map(), refused: 0 };
    let stop = false;
    // Writers cache their route for 30 s, like API instances: after the flip they hold a stale one.
    const writers = [
      ...(await Promise.all(Array.from({ length: 3 }, () => world.writer(tenant)))).map((store) => writeUntil(store, acked, () => stop)),
      writeUntil(await world.writer(neighbour), neighbourAcked, () => stop),
    ];

    const { id } = await world.moves.admin.start(tenant, 'shard-2');
    const killed = new Set<string>();
    for (let record = await world.record(id); record.phase !== 'completed'; record = await world.record(id)) {
      if (!killed.has(record.phase)) {
        // The runner dies after doing a step's work but before saving it; the next runner starts from the record.
        killed.add(record.phase);
        await world.moves.playbook.step(record).catch(() => undefined);
        continue;
      }
      if (record.phase === 'soaking') {
        await world.moves.admin.complete(tenant as TenantId);
        continue;
      }
      // Every runner lives for one step, so each phase is entered by a freshly started runner.
      await world.runOneStep(id);
    }
    stop = true;
    await Promise.all(writers);

    expect([...killed]).toEqual(['copying', 'verifying', 'catching-up', 'cutting-over', 'soaking', 'cleaning-up']);
    expect(acked.conversations.size).toBeGreaterThan(10);
    expect(await audit('shard-2', tenant, acked)).toMatchObject({ lost: 0, duplicated: 0, stale: 0 });
    expect(await world.items('shard-0', tenant)).toHaveLength(0);
    // The neighbour on the source shard never waited on the fence and lost nothing.
    expect(neighbourAcked.refused).toBe(0);
    expect(await audit('shard-0', neighbour, neighbourAcked)).toMatchObject({ lost: 0, duplicated: 0, stale: 0 });
    expect(await world.control.getTenant(tenant)).toMatchObject({ shard: 'shard-2', epoch: 2 });
  }, 180_000);

  it('carries idempotency keys with their expiry and summaries: a retry after the move replays the first response, and the verify counts them', async () => {
    const tenant = await world.tenant('retrying', 'shard-0');
    const store = await world.writer(tenant);
    await seed(store, 3, 1);
    const expiresAt = Math.floor(Date.now() / 1000) + 86_400;
    const conversation = (subject: string): ConversationRecord => {
      const now = at();
      return { id: uuidv7(), subject, body: 'b', author: 'a', createdAt: now, updatedAt: now, commentCount: 0, version: 1, deleted: false };
    };
    const claimOf = (key: string, created: ConversationRecord): IdempotencyClaim => ({
      key,
      requestHash: `hash-${key}`,
      expiresAt,
      response: JSON.stringify({ id: created.id }),
    });
    const before = conversation('before the move');
    expect(await store.createConversation(before, claimOf('key-before', before))).toEqual({ kind: 'written' });
    const tableOf = (shard: string) => world.tables.topology.find((candidate) => candidate.name === shard)!.table;
    const summaries = new DynamoSummaryStore(world.tables.doc, tableOf('shard-0'), tenant);
    await summaries.put({ conversationId: before.id, text: 'a summary', coveredVersion: 1, generatedAt: at(), route: 'primary' });

    const { id } = await world.moves.admin.start(tenant, 'shard-1');
    // The estimate, then the one page of the copy; a key claimed after it reaches the target through the replicator.
    for (let step = 0; step < 2; step++) await world.runOneStep(id);
    expect((await world.record(id)).phase).toBe('verifying');
    const during = conversation('during the move');
    expect(await store.createConversation(during, claimOf('key-during', during))).toEqual({ kind: 'written' });
    const replicated = shardKeys.idempotency(tenant, 'key-during').pk;
    await eventually(
      () => world.items('shard-1', tenant),
      (items) => items.some((item) => item.pk === replicated),
    );
    const soaking = await world.run(id);
    expect(soaking.phase).toBe('soaking');
    // 3 conversations with a comment each, 2 more conversations, their 2 keys, 1 summary.
    expect(soaking.params.verify.report).toMatchObject({
      processed: 11,
      byKind: { conversation: 5, comment: 3, idempotency: 2, summary: 1 },
      matching: 11,
      missing: 0,
      mismatched: 0,
      extra: 0,
    });
    // The estimate counts conversations and comments only; the copy reports the rest beside it.
    expect(soaking.params.backfill).toMatchObject({ estimated: 7, byKind: { conversation: 4, comment: 3, idempotency: 1, summary: 1 } });

    const moved = await world.items('shard-1', tenant);
    expect(moved.find((item) => item.sk === 'IDEMPOTENCY' && item.pk === shardKeys.idempotency(tenant, 'key-before').pk)).toMatchObject({
      expiresAt,
      response: JSON.stringify({ id: before.id }),
    });
    expect(await new DynamoSummaryStore(world.tables.doc, tableOf('shard-1'), tenant).get(before.id)).toMatchObject({
      text: 'a summary',
      coveredVersion: 1,
    });

    // A client retrying either request after the cutover gets the first response, and no second conversation.
    const after = await world.writer(tenant);
    for (const [key, created] of [
      ['key-before', before],
      ['key-during', during],
    ] as const) {
      expect(await after.createConversation(conversation('a retry'), claimOf(key, created))).toEqual({
        kind: 'replay',
        response: JSON.stringify({ id: created.id }),
      });
    }
    expect((await after.listConversations(50)).items).toHaveLength(5);

    await world.moves.admin.complete(tenant);
    const completed = await world.run(id);
    expect(completed.params.cleanup).toMatchObject({ deleted: 11, byKind: { conversation: 5, comment: 3, idempotency: 2, summary: 1 } });
    expect(await world.items('shard-0', tenant)).toHaveLength(0);
    expect(await world.items('shard-1', tenant)).toHaveLength(11);
  });

  it('cancel before cutover deletes the copy and leaves the tenant where it was', async () => {
    const tenant = await world.tenant('changed-mind', 'shard-1');
    await seed(await world.writer(tenant), 5, 2);
    const { id } = await world.moves.admin.start(tenant, 'shard-2');
    // The estimate, then the first page.
    for (let step = 0; step < 2; step++) await world.runOneStep(id);
    expect((await world.record(id)).params.backfill).toMatchObject({ estimated: 15 });
    expect((await world.items('shard-2', tenant)).length).toBeGreaterThan(0);
    expect((await world.moves.admin.cancel(tenant)).phase).toBe('cleaning-up');
    expect((await world.run(id)).phase).toBe('cancelled');
    const cancelled = (await world.moves.admin.show(tenant)).progress;
    expect(cancelled).toMatchObject({ fraction: null, running: false, next: { command: `headroom tenants move ${tenant} --to shard-2` } });
    expect(await world.items('shard-2', tenant)).toHaveLength(0);
    expect(await world.items('shard-1', tenant)).toHaveLength(15);
    expect(await world.control.getTenant(tenant)).toMatchObject({ shard: 'shard-1', epoch: 1 });
  });

  it('reverse after cutover brings the tenant back with the writes it made on the new shard', async () => {
    const tenant = await world.tenant('homesick', 'shard-1');
    const ids = await seed(await world.writer(tenant), 4, 1);
    const { id } = await world.moves.admin.start(tenant, 'shard-0');
    expect((await world.run(id)).phase).toBe('soaking');
    const after = await world.writer(tenant);
    const comment = uuidv7();
    expect(
      await after.addComment({
        id: comment,
        conversationId: ids[1]!,
        body: 'written on shard-0',
        author: 'a',
        createdAt: at(),
        version: 1,
        deleted: false,
      }),
    ).toEqual({ kind: 'written' });

    await expect(world.moves.admin.cancel(tenant)).rejects.toThrow(/reverse/);
    await world.moves.admin.reverse(tenant);
    expect((await world.run(id)).phase).toBe('reversed');
    expect(await world.control.getTenant(tenant)).toMatchObject({ shard: 'shard-1', epoch: 3 });
    const home = await world.items('shard-1', tenant);
    expect(home.find((item) => item.id === comment)).toMatchObject({ body: 'written on shard-0' });
    expect(home.find((item) => item.sk === 'META' && item.id === ids[1])).toMatchObject({ v: 3, commentCount: 2 });
    expect(await world.items('shard-0', tenant)).toHaveLength(0);
    // The markers left behind on shard-0 send any straggler back to the directory.
    const { Item } = await world.tables.doc.send(
      new (await import('@aws-sdk/lib-dynamodb')).GetCommand({
        TableName: world.tables.topology[0]!.table,
        Key: shardKeys.placement(tenant, 0),
      }),
    );
    expect(Item).toMatchObject({ state: 'moved', epoch: 2 });
  });
});
