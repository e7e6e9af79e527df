// The reconciler on the embedded platform, end to end through the admin API the CLI speaks: the pipeline indexes
// and meters a tenant's writes, then a search document and the usage counter are deleted behind the platform's
// back, and a requested repair run (what `headroom repair run --tenant` sends) finds and repairs each one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RepairPass, RepairStatus } from '../../lambdas/core/repair/derived-data-repair.js';
import { controlKeys, localTableName } from '../../lambdas/schema.js';
import { resolveConfig } from '../../lib/config.js';
import { startLocalPlatform, type LocalPlatform } from '../../local/embedded-platform.js';

let platform: LocalPlatform;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'headroom-repair-'));
  platform = await startLocalPlatform({
    dataDir,
    port: 0,
    demo: false,
    config: resolveConfig({ repair: { settleSeconds: 0, enabled: false } }),
    repair: { intervalMs: 200, budgetMs: 5000 },
  });
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function call<T>(method: string, path: string, body?: unknown, token = platform.adminToken): Promise<{ status: number; body: T }> {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (done(value)) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

it('a requested run finds and repairs a deleted search document and a deleted usage counter', async () => {
  const created = await call<{ token: string }>('POST', '/admin/tenants', { id: 'repairs' });
  expect(created.status).toBe(201);
  const token = created.body.token;
  const conversation = await call<{ id: string }>(
    'POST',
    '/v1/conversations',
    { subject: 'printer on fire', body: 'help', author: 'ann' },
    token,
  );
  expect(conversation.status).toBe(201);
  await call('POST', `/v1/conversations/${conversation.body.id}/comments`, { body: 'still burning', author: 'ann' }, token);
  type Usage = { totals: { conversations: number; comments: number }; minutes: { minute: string }[] };
  const usage = await until(
    () => call<Usage>('GET', '/v1/usage', undefined, token),
    (r) => r.body.totals.conversations === 1 && r.body.totals.comments === 1,
    'usage to be metered',
  );
  await until(
    () => call<{ items: unknown[] }>('GET', '/v1/search?q=burning', undefined, token),
    (r) => r.body.items?.length === 1,
    'the comment to be searchable',
  );

  // Behind the platform's back: the comment's search document and the minute's usage counter disappear.
  const sqlite = new Database(join(dataDir, 'search.sqlite'));
  const removed = sqlite.prepare("DELETE FROM docs_g1 WHERE tenant = ? AND id LIKE '%/%'").run('repairs');
  sqlite.close();
  expect(removed.changes).toBe(1);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: platform.dynamoEndpoint }));
  const minute = usage.body.minutes[0]!.minute;
  await doc.send(new DeleteCommand({ TableName: localTableName.control, Key: controlKeys.tenantUsage('repairs', minute) }));
  expect((await call<Usage>('GET', '/v1/usage', undefined, token)).body.totals.comments).toBe(0);

  const requested = await call<RepairPass>('POST', '/admin/repair/runs', { tenant: 'repairs' });
  expect(requested.status).toBe(202);
  const pass = await until(
    () => call<RepairPass>('GET', `/admin/repair/runs/${requested.body.id}`),
    (r) => r.body.status === 'completed',
    'the run to complete',
  );
  expect(pass.body.tallies.search).toMatchObject({ found: 1, repaired: 1, divergent: 0 });
  expect(pass.body.tallies.usage).toMatchObject({ found: 1, repaired: 1, divergent: 0 });
  expect((await call<Usage>('GET', '/v1/usage', undefined, token)).body.totals).toEqual({ conversations: 1, comments: 1 });
  const { Items } = await doc.send(
    new QueryCommand({
      TableName: localTableName.control,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': controlKeys.repairPassPartition },
    }),
  );
  doc.destroy();
  expect(Items?.length).toBeGreaterThan(0);
  const status = await call<RepairStatus>('GET', '/admin/repair');
  expect(status.body.views.map((view) => view.view).sort()).toEqual(['search', 'usage']);

  const bad = await call<{ type: string }>('POST', '/admin/repair/runs', { view: 'nonsense' });
  expect(bad.status).toBe(400);
}, 60_000);
