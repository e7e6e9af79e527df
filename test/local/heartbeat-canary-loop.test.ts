// The canary cleans up after itself: on the real embedded platform (HTTP API, DynamoDB Local, search), conversations
// of the canary tenant older than the retention are deleted through the public API, newer ones and anything the
// canary did not write are kept, and the heartbeat still counts every run. A failing cleanup never costs a heartbeat.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCanaryApiClient } from '../../lambdas/adapters/http/canary-api-client.js';
import { platform as runtime } from '../../lambdas/composition/platform.js';
import { CANARY_AUTHOR, type CanaryApi } from '../../lambdas/core/operations/heartbeat-canary.js';
import { toTenantContext } from '../../lambdas/core/tenancy/tenancy.js';
import { METRICS } from '../../lambdas/telemetry.js';
import { DEFAULT_CONFIG } from '../../lib/config.js';
import { CANARY_TENANT, ensureCanaryTenant } from '../../local/canary-tenant.js';
import { startLocalPlatform, type LocalPlatform } from '../../local/embedded-platform.js';
import { startHeartbeatCanaryLoop, type HeartbeatCanaryLoop } from '../../local/heartbeat-canary-loop.js';
import { createMetricsRegistry } from '../../local/metrics-registry.js';
import { captureMetrics } from '../../local/metrics-sink.js';
import { apiCaller, eventually } from '../support/local-api.js';

const HOUR = 3_600_000;
const retentionHours = DEFAULT_CONFIG.operations.canary.retentionHours;

describe('the canary loop when its cleanup fails', () => {
  it('still publishes every run as a success and counts the failed sweep apart', async () => {
    const registry = createMetricsRegistry();
    captureMetrics((line) => registry.recordEmf(line));
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    let comments = 0;
    const api: CanaryApi = {
      createConversation: async () => ({ id: 'c' }),
      addComment: async () => ({ id: `m${++comments}` }),
      search: async () => [{ conversationId: 'c', commentId: `m${comments}` }],
      listConversations: async () => {
        throw new Error('GET /v1/conversations?limit=100 answered 500');
      },
      deleteConversation: async () => true,
    };
    const loop = startHeartbeatCanaryLoop({ api, intervalMs: 50, awaitSearch: true, retentionHours });
    let errors: unknown[][];
    try {
      await eventually(
        async () => registry.window(METRICS.canarySuccess.name, 60).count,
        (runs) => runs >= 3,
        10,
      );
    } finally {
      await loop.stop();
      errors = logged.mock.calls.slice();
      logged.mockRestore();
    }
    const runs = registry.window(METRICS.canarySuccess.name, 60);
    expect(runs.sum, 'every run succeeded').toBe(runs.count);
    expect(loop.last()).toMatchObject({ ok: true });
    // One sweep (the first run's); the next is not due for ten minutes.
    expect(registry.window(METRICS.canaryCleanupFailed.name, 60)).toMatchObject({ count: 1, sum: 1 });
    expect(errors).toEqual([[expect.stringContaining('[canary] cleanup failed after deleting 0: GET /v1/conversations')]]);
  });
});

describe('the canary loop on the embedded platform', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'headroom-canary-cleanup-'));
  let platform: LocalPlatform;
  let loop: HeartbeatCanaryLoop | undefined;
  let token: string;
  const seeded: Record<'old' | 'older' | 'recent' | 'foreign', string> = { old: '', older: '', recent: '', foreign: '' };
  const call = apiCaller(() => platform.url);

  beforeAll(async () => {
    platform = await startLocalPlatform({ dataDir, port: 0, demo: false });
    token = (await ensureCanaryTenant(dataDir)).token;
    // Conversations from before this test, written with the times they would have had: the store takes them as given.
    const profile = (await runtime().control.getTenant(CANARY_TENANT))!;
    const store = runtime().parts.conversationStore(toTenantContext(profile));
    const ages = { old: 25 * HOUR, older: 72 * HOUR, recent: 23 * HOUR, foreign: 72 * HOUR };
    for (const [name, age] of Object.entries(ages) as [keyof typeof ages, number][]) {
      const id = uuidv7();
      const at = new Date(Date.now() - age).toISOString();
      const author = name === 'foreign' ? 'operator@example.com' : CANARY_AUTHOR;
      await store.createConversation({
        id,
        subject: `seeded ${name}`,
        body: 'from an earlier run',
        author,
        createdAt: at,
        updatedAt: at,
        commentCount: 0,
        version: 1,
        deleted: false,
      });
      seeded[name] = id;
    }
  });

  afterAll(async () => {
    await loop?.stop();
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('deletes the canary conversations older than the retention, keeps the rest, and the heartbeat counts every run', async () => {
    const status = (id: string) => call('GET', `/v1/conversations/${id}`, token).then((response) => response.status);
    loop = startHeartbeatCanaryLoop({
      api: createCanaryApiClient({ baseUrl: platform.url, token }),
      intervalMs: 1_000,
      awaitSearch: true,
      retentionHours,
    });
    await eventually(
      async () => [await status(seeded.old), await status(seeded.older)],
      (statuses) => statuses.every((code) => code === 404),
    );
    expect(await status(seeded.old)).toBe(404);
    expect(await status(seeded.older)).toBe(404);
    expect(await status(seeded.recent), 'younger than the retention').toBe(200);
    expect(await status(seeded.foreign), 'not written by the canary').toBe(200);

    // Runs go on after the sweep, each one a success with its own conversation and comment, searchable as before.
    const { registry } = platform;
    const runs = await eventually(
      async () => registry.window(METRICS.canarySuccess.name, 300),
      (window) => window.count >= 3,
    );
    expect(runs.count).toBeGreaterThanOrEqual(3);
    expect(runs.sum, 'every run succeeded').toBe(runs.count);
    // The heartbeat counts creates only: the deletes took nothing from it.
    expect(registry.window(METRICS.conversationCreated.name, 300).sum).toBeGreaterThanOrEqual(runs.count);
    expect(registry.window(METRICS.commentCreated.name, 300).sum).toBeGreaterThanOrEqual(runs.count);
    expect(registry.window(METRICS.canaryConversationsDeleted.name, 300)).toMatchObject({ count: 1, sum: 2 });
    expect(registry.window(METRICS.canaryCleanupFailed.name, 300)).toMatchObject({ count: 1, sum: 0 });

    const listed = await call('GET', '/v1/conversations?limit=100', token);
    const ids = (listed.json.items as { id: string }[]).map((item) => item.id);
    expect(ids).toEqual(expect.arrayContaining([seeded.recent, seeded.foreign]));
    expect(ids).not.toContain(seeded.old);
    expect(ids.length).toBeGreaterThanOrEqual(2 + runs.count);
    expect(loop.last()).toMatchObject({ ok: true });
  });
});
