// The ops console in a real headless Chromium against the real embedded platform: after some writes, reads and a bad
// request, every chart has drawn data, `headroom status` reports the same numbers, and a screenshot is kept as a
// test artifact (test-artifacts/ops-console.png). The console is read-only and answers to local host names only.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationsSnapshot } from '../../lambdas/core/operations/operations-snapshot.js';
import { METRICS } from '../../lambdas/telemetry.js';
import { startLocalPlatform, type LocalPlatform } from '../../local/embedded-platform.js';
import { apiCaller, eventually } from '../support/local-api.js';

const root = resolve(import.meta.dirname, '../..');
const artifacts = join(root, 'test-artifacts');
const dataDir = mkdtempSync(join(tmpdir(), 'headroom-ops-'));
const profile = mkdtempSync(join(tmpdir(), 'headroom-chromium-'));
let platform: LocalPlatform;
let browser: BrowserContext;

const call = apiCaller(() => platform.url);

const run = (args: string[], env: NodeJS.ProcessEnv) =>
  promisify(execFile)('npx', ['headroom', ...args], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });

// 12 conversations and 24 comments, each comment also bumping its conversation's version: 60 changes, 60 jobs.
const ACME_JOBS = 12 + 24 * 2;

const snapshot = async () => (await (await fetch(`${platform.url}/_ops/metrics`)).json()) as OperationsSnapshot;

/** A raw request with a chosen Host header (fetch will not let us forge one). */
function getWithHost(path: string, host: string): Promise<number> {
  const url = new URL(path, platform.url);
  return new Promise((resolveStatus, reject) => {
    request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host } }, (response) => {
      response.resume();
      resolveStatus(response.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

beforeAll(async () => {
  platform = await startLocalPlatform({
    dataDir,
    port: 0,
    demo: false,
    heartbeat: { canaryIntervalSeconds: 2, monitorPeriodSeconds: 2 },
  });
  const { token } = (await call('POST', '/admin/tenants', platform.adminToken, { id: 'acme', tier: 'enterprise' })).json;
  for (let i = 0; i < 12; i++) {
    const conversation = await call('POST', '/v1/conversations', token, { subject: `Ticket ${i}`, body: 'Printer on fire', author: 'ana' });
    expect(conversation.status).toBe(201);
    for (let c = 0; c < 2; c++)
      expect(
        (await call('POST', `/v1/conversations/${conversation.json.id}/comments`, token, { body: `On it ${c}`, author: 'bob' })).status,
      ).toBe(201);
    expect((await call('GET', '/v1/conversations?limit=5', token)).status).toBe(200);
  }
  expect((await call('POST', '/v1/conversations', token, { subject: 42 })).status).toBe(400);
  // A free-tier tenant bursting comments: past its group's admission burst its jobs go to the overflow queue.
  const noisy = (await call('POST', '/admin/tenants', platform.adminToken, { id: 'noisy', tier: 'free' })).json.token as string;
  const thread = (await call('POST', '/v1/conversations', noisy, { subject: 'Burst', body: 'Many comments', author: 'ana' })).json.id;
  await Promise.all(
    Array.from({ length: 18 }, (_, c) =>
      call('POST', `/v1/conversations/${thread}/comments`, noisy, { body: `Burst ${c}`, author: 'bob' }),
    ),
  );
  // Jobs reach the consumer through the stream, relay and queue: wait until the dwell of all of them is measured,
  // and until the canary's first cleanup sweep listed its conversations (the next one is ten minutes away).
  await eventually(
    snapshot,
    (s) =>
      s.groups.some((group) => group.group === 'acme' && group.jobs >= ACME_JOBS) &&
      s.overflow.jobs > 0 &&
      s.canary.lastOk === true &&
      platform.registry.window(METRICS.canaryCleanupFailed.name, 300).count > 0,
  );
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1200, height: 900 },
  });
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
});

describe('ops console', () => {
  it('renders every chart with data after some writes, and saves a screenshot', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    await page.goto(`${platform.url}/_ops?refresh=500`);
    await page.waitForSelector('body[data-rendered]');

    const heartbeatBars = page.locator('svg[data-chart="heartbeats"] rect.bar');
    await expect.poll(() => heartbeatBars.count()).toBeGreaterThan(0);
    // Read in one go: the page redraws every 500 ms while the canary keeps writing.
    const { drawn, total } = await page.locator('svg[data-chart="heartbeats"]').evaluate((svg) => ({
      drawn: [...svg.querySelectorAll('rect.bar')].reduce((sum, bar) => sum + Number(bar.getAttribute('data-value')), 0),
      total: Number(svg.getAttribute('data-total')),
    }));
    expect(drawn).toBeGreaterThanOrEqual(36);
    expect(total).toBe(drawn);

    // p50 and p99 bars per route, with real heights, and the table says which routes were called.
    expect(await page.locator('svg[data-chart="latency"] rect.bar').count()).toBeGreaterThanOrEqual(6);
    const latencyTable = await page.locator('#latency table').innerText();
    expect(latencyTable).toContain('POST /v1/conversations');
    expect(latencyTable).toContain('POST /v1/conversations/{id}/comments');
    // This test's 12 listings and the canary's cleanup sweep.
    expect(latencyTable).toMatch(/GET \/v1\/conversations\s+13\s/);
    expect(await page.locator('svg[data-chart="latency-trend"] path.line').count()).toBeGreaterThan(0);

    expect(await page.locator('svg[data-chart="groups"] rect.bar').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#groups svg').innerHTML()).toContain('acme');
    expect(await page.locator('svg[data-chart="queues"] circle.point').count()).toBeGreaterThan(0);
    expect(await page.locator('#queues table').innerText()).toContain('jobs-overflow-dlq');
    // JobsOverflowed is a Powertools single metric (its own EMF writer), captured like every other metric.
    expect(await page.locator('svg[data-chart="overflow"] rect.bar').count()).toBeGreaterThan(0);
    expect(await page.locator('#overflow').innerText()).toMatch(/[1-9]\d* jobs overflowed in 5 min/);
    expect(await page.locator('#dlq-total').innerText()).toBe('0 dead letters');
    expect(await page.locator('#migrations').innerText()).toContain('none');
    await expect.poll(() => page.locator('#canary-status').innerText()).toMatch(/^OK in (\d+ ms|\d+\.\d s)$/);
    await expect.poll(() => page.locator('#banner').getAttribute('data-alarm')).toBe('false');

    mkdirSync(artifacts, { recursive: true });
    const screenshot = join(artifacts, 'ops-console.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
  });

  it('`headroom status` prints the numbers the console shows, as a table and as JSON', async () => {
    const env = { ...process.env, HEADROOM_ADMIN_TOKEN: platform.adminToken };
    const console = await snapshot();
    // Asynchronously: the platform serving the CLI runs in this very process.
    const json = await run(['status', '--json', '--endpoint', platform.url], env);
    const status = JSON.parse(json.stdout) as { tenants: number; operations: OperationsSnapshot };
    expect(status.tenants).toBe(3); // acme, noisy and the canary
    // The canary keeps writing, so compare a route it no longer calls (its one sweep is done) and the jobs already applied.
    const listing = (s: OperationsSnapshot) => s.routes.find((route) => route.route === 'GET /v1/conversations');
    expect(listing(status.operations)).toEqual(listing(console));
    expect(status.operations.groups.find((group) => group.group === 'acme')?.jobs).toBe(ACME_JOBS);
    expect(status.operations.queues.map((queue) => queue.queue).sort()).toEqual(['jobs', 'jobs-dlq', 'jobs-overflow', 'jobs-overflow-dlq']);

    const human = await run(['status', '--endpoint', platform.url], env);
    expect(human.stdout).toMatch(/^heartbeat\s+OK \(checked every 2 s/m);
    expect(human.stdout).toMatch(/^canary\s+OK in \d+ ms/m);
    expect(human.stdout).toMatch(/^GET \/v1\/conversations\s+13\s+0\s+0\s/m);
    expect(human.stdout).toMatch(new RegExp(`^acme\\s+${ACME_JOBS}\\s`, 'm'));
    expect(human.stdout).toMatch(/^deadLetters\s+0$/m);
  });

  it('answers only to local host names and only to reads', async () => {
    expect(await getWithHost('/_ops/metrics', 'evil.example:80')).toBe(403);
    expect(await getWithHost('/_ops/metrics', `localhost:${new URL(platform.url).port}`)).toBe(200);
    expect((await fetch(`${platform.url}/_ops/metrics`, { method: 'POST' })).status).toBe(405);
    const page = await fetch(`${platform.url}/_ops`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});
