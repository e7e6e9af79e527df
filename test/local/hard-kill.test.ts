// A SIGKILL of the whole `npm start` process group (DynamoDB Local's Java included) while writers run loses no
// acknowledged work: after a restart on the same data directory every write that was answered 2xx is readable,
// searchable and counted in usage exactly once, as on AWS, where a job the relay was told is queued stays queued.
// Writes cut off by the kill are retried with their Idempotency-Key, as a client would, so every write is known.
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/dynamodb-local.js';
import { ADMIN_TOKEN_FILE } from '../../local/local-secrets.js';

const root = resolve(import.meta.dirname, '../..');
const WRITERS = 8;
const COMMENTS_PER_CONVERSATION = 3;
/** Acknowledged writes to wait for before the kill; the writers keep going until the kill cuts them off. */
const WRITES_BEFORE_KILL = 160;
const RECOVERY_SECONDS = 60;

interface Write {
  readonly kind: 'conversation' | 'comment';
  readonly path: string;
  readonly body: Record<string, string>;
  readonly idempotencyKey: string;
  /** The one word only this write contains. */
  readonly word: string;
  readonly conversationId?: string;
  /** Set once the platform answered 2xx, before the kill or to the retry after it. */
  id?: string;
}

interface QueueStatus {
  readonly queue: string;
  readonly visible: number;
  readonly inFlight: number;
}

interface Platform {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<void>;
}

const dataDir = mkdtempSync(join(tmpdir(), 'headroom-hard-kill-'));
const run = Date.now().toString(36);
const platforms: Platform[] = [];
/** The writers' tenant, on the enterprise tier so its usage plan never throttles them. */
let token = '';

function start(port: number): Promise<Platform> {
  // Its own process group, so one kill reaches npm, the platform and DynamoDB Local's Java at once.
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HEADROOM_DATA_DIR: dataDir, HEADROOM_HEARTBEAT: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`platform not ready in 90 s:\n${output}`)), 90_000);
    child.stdout?.on('data', () => {
      const url = /running at (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        const platform = { child, url, exited };
        platforms.push(platform);
        resolveStart(platform);
      }
    });
    void exited.then(() => reject(new Error(`platform exited before it was ready:\n${output}`)));
  });
}

/** Processes in a process group (field 5 of /proc/<pid>/stat, after the parenthesised command name). */
function groupMembers(group: number): { pid: number; cmdline: string }[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[2]) !== group || fields[0] === 'Z') return [];
        return [{ pid: Number(pid), cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\u0000', ' ') }];
      } catch {
        return [];
      }
    });
}

/** Live processes whose command line names the data directory (DynamoDB Local runs with -dbPath in it). */
function processesUsingDataDir(): { pid: number; cmdline: string }[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\u0000', ' ');
        return cmdline.includes(dataDir) ? [{ pid: Number(pid), cmdline }] : [];
      } catch {
        return [];
      }
    });
}

async function call(platform: Platform, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as Record<string, any> };
}

/** Sends a write; true when the platform answered 2xx, false when it refused or never answered. */
async function send(platform: Platform, write: Write): Promise<boolean> {
  try {
    const { status, json } = await call(platform, 'POST', write.path, write.body, { 'idempotency-key': write.idempotencyKey });
    if (status < 200 || status >= 300) return false;
    write.id = json.id as string;
    return true;
  } catch {
    return false;
  }
}

/** One writer: a conversation, then comments on it, over and over, until a write goes unanswered. */
async function writer(platform: Platform, index: number, writes: Write[], stop: () => boolean): Promise<void> {
  for (let n = 0; !stop(); n++) {
    const word = `hk${run}w${index}c${n}`;
    const conversation: Write = {
      kind: 'conversation',
      path: '/v1/conversations',
      body: { subject: `subject ${word}`, body: `opening ${word}`, author: 'writer' },
      idempotencyKey: `${word}-create`,
      word,
    };
    writes.push(conversation);
    if (!(await send(platform, conversation))) return;
    for (let c = 0; c < COMMENTS_PER_CONVERSATION && !stop(); c++) {
      const commentWord = `${word}m${c}`;
      const comment: Write = {
        kind: 'comment',
        path: `/v1/conversations/${conversation.id}/comments`,
        body: { body: `reply ${commentWord}`, author: 'writer' },
        idempotencyKey: `${commentWord}-create`,
        word: commentWord,
        conversationId: conversation.id!,
      };
      writes.push(comment);
      if (!(await send(platform, comment))) return;
    }
  }
}

/** The acknowledged writes that are not yet readable, searchable by their word, or both. */
async function unfinished(platform: Platform, writes: readonly Write[]): Promise<Write[]> {
  const comments = new Map<string, Set<string>>();
  const readable = async (write: Write) => {
    if (write.kind === 'conversation') return (await call(platform, 'GET', `/v1/conversations/${write.id}`)).status === 200;
    let ids = comments.get(write.conversationId!);
    if (!ids) {
      const { json } = await call(platform, 'GET', `/v1/conversations/${write.conversationId}?limit=100`);
      ids = new Set(((json?.comments?.items ?? []) as { id: string }[]).map((comment) => comment.id));
      comments.set(write.conversationId!, ids);
    }
    return ids.has(write.id!);
  };
  const searchable = async (write: Write) => {
    const { json } = await call(platform, 'GET', `/v1/search?q=${write.word}`);
    // A comment's search document is named after its conversation and itself.
    const documentId = write.kind === 'conversation' ? write.id : `${write.conversationId}/${write.id}`;
    return ((json?.items ?? []) as { id: string }[]).some((hit) => hit.id === documentId);
  };
  const pending: Write[] = [];
  for (let start = 0; start < writes.length; start += 16) {
    const batch = writes.slice(start, start + 16);
    const done = await Promise.all(batch.map(async (write) => (await readable(write)) && (await searchable(write))));
    pending.push(...batch.filter((_, index) => !done[index]));
  }
  return pending;
}

const usage = async (platform: Platform) =>
  ((await call(platform, 'GET', '/v1/usage?minutes=60')).json?.totals ?? {}) as Record<string, number>;

const asAdmin = () => ({ authorization: `Bearer ${readFileSync(join(dataDir, ADMIN_TOKEN_FILE), 'utf8').trim()}` });

afterAll(async () => {
  for (const { child, exited } of platforms) {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a hard kill of `npm start` while writers run', () => {
  it('loses no acknowledged write: after a restart each one is readable, searchable and counted exactly once', async () => {
    const port = await freePort();
    const first = await start(port);

    // DynamoDB Local must die with the platform: it belongs to the group the kill is sent to.
    const dynamoDbLocal = processesUsingDataDir();
    expect(dynamoDbLocal.some((process) => process.cmdline.includes('DynamoDBLocal.jar'))).toBe(true);
    const members = new Set(groupMembers(first.child.pid!).map((member) => member.pid));
    expect(dynamoDbLocal.filter((process) => !members.has(process.pid))).toEqual([]);
    const tenant = await call(first, 'POST', '/admin/tenants', { id: 'writers', tier: 'enterprise' }, asAdmin());
    expect(tenant.status).toBe(201);
    token = tenant.json.token as string;

    const writes: Write[] = [];
    let killed = false;
    const writers = Array.from({ length: WRITERS }, (_, index) => writer(first, index, writes, () => killed));
    const deadline = Date.now() + 60_000;
    while (writes.filter((write) => write.id).length < WRITES_BEFORE_KILL && Date.now() < deadline) await sleep(20);
    process.kill(-first.child.pid!, 'SIGKILL');
    killed = true;
    await Promise.all([first.exited, ...writers]);
    const acknowledged = writes.filter((write) => write.id).length;
    expect(acknowledged).toBeGreaterThanOrEqual(WRITES_BEFORE_KILL);
    for (let wait = 0; wait < 50 && groupMembers(first.child.pid!).length > 0; wait++) await sleep(100);
    expect(groupMembers(first.child.pid!)).toEqual([]);
    expect(processesUsingDataDir()).toEqual([]);

    const second = await start(port);
    // Writes the kill cut off may or may not have committed; their retry replays or makes them, and then every
    // write the writers attempted has an id. A comment's retry needs its conversation, which was acknowledged.
    for (const write of writes.filter((candidate) => !candidate.id)) {
      for (let attempt = 0; attempt < 20 && !(await send(second, write)); attempt++) await sleep(250);
    }
    expect(writes.filter((write) => !write.id)).toEqual([]);

    const recoveredBy = Date.now() + RECOVERY_SECONDS * 1000;
    let pending = await unfinished(second, writes);
    while (pending.length > 0 && Date.now() < recoveredBy) {
      await sleep(1000);
      pending = await unfinished(second, pending);
    }
    const expected = {
      conversations: writes.filter((write) => write.kind === 'conversation').length,
      comments: writes.filter((write) => write.kind === 'comment').length,
    };
    let counted = await usage(second);
    while ((counted.conversations !== expected.conversations || counted.comments !== expected.comments) && Date.now() < recoveredBy) {
      await sleep(1000);
      counted = await usage(second);
    }
    const lost = pending.map((write) => `${write.kind} ${write.id} (${write.word})`);
    expect({ acknowledged, lost: lost.length, someLost: lost.slice(0, 3), counted }).toEqual({
      acknowledged,
      lost: 0,
      someLost: [],
      counted: expected,
    });

    // Nothing is left waiting, stuck in flight or dead-lettered, and no late redelivery counts anything twice.
    const occupied = async () => {
      const { json } = await call(second, 'GET', '/admin/queues', undefined, asAdmin());
      return (json.items as QueueStatus[]).filter((queue) => queue.visible + queue.inFlight > 0).map((queue) => queue.queue);
    };
    let queues = await occupied();
    for (let wait = 0; wait < 30 && queues.length > 0; wait++) {
      await sleep(1000);
      queues = await occupied();
    }
    expect(queues).toEqual([]);
    expect(await usage(second)).toEqual(expected);
  }, 240_000);
});
