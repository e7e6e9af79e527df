// The async pipeline on the embedded platform: API write → shard stream → relay → fair queue → usage meter, with
// poison jobs, duplicates and restarts. Usage counts are the observable: each change must count exactly once.
import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform, type LocalPlatformOptions } from '../../local/embedded-platform.js';
import { localCredentials } from '../support/dynamo.js';
import { apiCaller, eventually } from '../support/local-api.js';

let platform: LocalPlatform;
const dataDir = mkdtempSync(join(tmpdir(), 'headroom-pipeline-'));
const options: LocalPlatformOptions = { dataDir, port: 0, demo: false, visibilityTimeoutSeconds: 1 };
const tokens: Record<string, string> = {};

const call = apiCaller(() => platform.url);

const usage = async (tenant: string) =>
  (await call('GET', '/v1/usage?minutes=10', tokens[tenant]!)).json.totals as { conversations: number; comments: number };
const queueStatus = async () =>
  Object.fromEntries(
    ((await call('GET', '/admin/queues', platform.adminToken)).json.items as { queue: string; visible: number; inFlight: number }[]).map(
      (q) => [q.queue, q],
    ),
  );

const job = (tenant: string, key: string) => ({
  kind: 'conversation',
  tenantId: tenant,
  group: tenant,
  key,
  v: 1,
  op: 'insert',
  committedAt: new Date().toISOString(),
});

beforeAll(async () => {
  platform = await startLocalPlatform(options);
  for (const id of ['acme', 'beta'])
    tokens[id] = (await call('POST', '/admin/tenants', platform.adminToken, { id, tier: 'enterprise' })).json.token;
});

afterAll(async () => {
  await platform?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('async pipeline', () => {
  it('counts every committed create exactly once, and an idempotent replay not at all', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        (await call('POST', '/v1/conversations', tokens.acme!, { subject: 's', body: 'b', author: 'a' }, { 'idempotency-key': `k${i}` }))
          .json.id,
      );
    await call('POST', '/v1/conversations', tokens.acme!, { subject: 's', body: 'b', author: 'a' }, { 'idempotency-key': 'k0' });
    for (const id of ids.slice(0, 2)) await call('POST', `/v1/conversations/${id}/comments`, tokens.acme!, { body: 'c', author: 'a' });
    await call('DELETE', `/v1/conversations/${ids[2]}`, tokens.acme!);
    expect(
      await eventually(
        () => usage('acme'),
        (u) => u.conversations === 3 && u.comments === 2,
      ),
    ).toEqual({ conversations: 3, comments: 2 });
    // 3 creates + 2 comments + 2 conversation updates from comments + 1 delete = 8 jobs.
    expect(
      await eventually(
        async () =>
          (await call('GET', '/admin/tenants/top', platform.adminToken)).json.items.find((g: { group: string }) => g.group === 'acme')
            ?.jobs5m,
        (n) => n === 8,
      ),
    ).toBe(8);
  });

  it('sends a poison job to the DLQ after 5 receives while the rest of its batch is applied, and applies a duplicate once', async () => {
    const sqs = new SQSClient({ endpoint: platform.sqs.endpoint, region: platform.sqs.region, credentials: localCredentials });
    const valid = job('beta', 'direct-1');
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: platform.sqs.queueUrl('jobs'),
        Entries: [
          { Id: 'poison', MessageBody: '{"kind":"mystery"', MessageGroupId: 'beta' },
          { Id: 'valid', MessageBody: JSON.stringify(valid), MessageGroupId: 'beta' },
          { Id: 'duplicate', MessageBody: JSON.stringify(valid), MessageGroupId: 'beta' },
        ],
      }),
    );
    expect(
      await eventually(
        () => usage('beta'),
        (u) => u.conversations === 1,
      ),
    ).toEqual({ conversations: 1, comments: 0 });
    const status = await eventually(queueStatus, (q) => q['jobs-dlq']?.visible === 1, 30);
    expect(status['jobs-dlq']?.visible).toBe(1);
    expect(status.jobs).toMatchObject({ visible: 0, inFlight: 0 });
    expect(await usage('beta')).toEqual({ conversations: 1, comments: 0 });
    const redrive = await call('POST', '/admin/queues/jobs-dlq/redrive', platform.adminToken);
    expect(redrive.status).toBe(202);
    expect(redrive.json.movedMessages).toBe(1);
  });

  it('loses and double-counts nothing across a restart of the relays, queues and consumers', async () => {
    const before = await usage('acme');
    for (let i = 0; i < 5; i++) await call('POST', '/v1/conversations', tokens.acme!, { subject: `r${i}`, body: 'b', author: 'a' });
    await platform.stop();
    platform = await startLocalPlatform(options);
    const after = await eventually(
      () => usage('acme'),
      (u) => u.conversations === before.conversations + 5,
    );
    expect(after.conversations).toBe(before.conversations + 5);
    await sleep(2000);
    expect((await usage('acme')).conversations).toBe(before.conversations + 5);
  });
});
