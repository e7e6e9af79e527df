// The local heartbeat alarm on the real embedded platform: the canary writes through the HTTP API every second,
// DynamoDB Local is really stopped (its Java process killed) and restarted on the same port and data directory, and
// the monitor must say "customers cannot write" once within 2 minutes, then "OK" once after the restart.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local.js';
import { startLocalPlatform, type LocalPlatform } from '../../local/embedded-platform.js';
import type { OperationsSnapshot } from '../../lambdas/core/operations/operations-snapshot.js';

const dataDir = mkdtempSync(join(tmpdir(), 'headroom-heartbeat-'));
const lines: { at: number; line: string }[] = [];
let platform: LocalPlatform;
let restarted: DynamoDbLocal | undefined;

/** The DynamoDB Local Java process this test's platform started (it runs with -dbPath inside our data directory). */
function dynamoPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('DynamoDBLocal.jar') && cmdline.includes(dataDir)) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

async function waitFor<T>(read: () => T | Promise<T>, accept: (value: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await sleep(250);
  }
}

const snapshot = async () => (await (await fetch(`${platform.url}/_ops/metrics`)).json()) as OperationsSnapshot;
const alarmLines = () => lines.filter(({ line }) => line.includes('HEARTBEAT ALARM'));
const okLines = () => lines.filter(({ line }) => line.includes('HEARTBEAT OK'));

beforeAll(async () => {
  platform = await startLocalPlatform({
    dataDir,
    port: 0,
    demo: false,
    heartbeat: { canaryIntervalSeconds: 1, monitorPeriodSeconds: 3, log: (line) => lines.push({ at: Date.now(), line }) },
  });
});

afterAll(async () => {
  await platform?.stop();
  await restarted?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('heartbeat monitor on the embedded platform', () => {
  it('sees the canary write successfully while DynamoDB Local is up, and stays quiet', async () => {
    const healthy = await waitFor(snapshot, (s) => s.canary.lastOk === true && s.monitor.verdict === 'healthy', 30_000);
    expect(healthy.canary.lastOk).toBe(true);
    expect(healthy.monitor).toMatchObject({ enabled: true, alarm: false, verdict: 'healthy' });
    expect(healthy.heartbeats.at(-1)!.conversations + (healthy.heartbeats.at(-2)?.conversations ?? 0)).toBeGreaterThan(0);
    expect(lines).toEqual([]);
  });

  it('raises one alarm line within 2 minutes of DynamoDB Local stopping', async () => {
    const pid = dynamoPid();
    expect(pid, 'the platform runs DynamoDB Local under the test data directory').toBeDefined();
    const stoppedAt = Date.now();
    process.kill(pid!, 'SIGTERM');
    await waitFor(
      () => dynamoPid(),
      (found) => found === undefined,
      15_000,
    );
    await waitFor(alarmLines, (found) => found.length > 0, 120_000);
    expect(alarmLines()).toHaveLength(1);
    expect(alarmLines()[0]!.at - stoppedAt).toBeLessThan(120_000);
    expect(alarmLines()[0]!.line).toMatch(/HEARTBEAT ALARM.*customers cannot write: .*canary failed/);
    expect((await snapshot()).monitor).toMatchObject({ alarm: true, verdict: 'failing' });
    // A dead write path keeps failing, yet the alarm is said once, not once per period.
    await sleep(7_000);
    expect(alarmLines()).toHaveLength(1);
  });

  it('clears with one line once DynamoDB Local is back on the same port and data', async () => {
    restarted = await startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb'), port: Number(new URL(platform.dynamoEndpoint).port) });
    const restartedAt = Date.now();
    await waitFor(okLines, (found) => found.length > 0, 120_000);
    expect(okLines()).toHaveLength(1);
    expect(okLines()[0]!.at - restartedAt).toBeLessThan(120_000);
    expect(okLines()[0]!.line).toMatch(/HEARTBEAT OK.*customers can write again after \d+ s/);
    expect(alarmLines()).toHaveLength(1);
    const after = await snapshot();
    expect(after.monitor.alarm).toBe(false);
    expect(after.canary.lastOk).toBe(true);
  });
});
