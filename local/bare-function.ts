// One shipped bundle, run the way Lambda runs it: its asset copied into a fresh folder outside the repository (no
// node_modules anywhere above it), plain `node` with none of the repository's loaders, only the environment given,
// and the handler loaded by local/lambda-runtime.mjs. A bundle that imports a package it does not carry fails to
// start here with the function's name and the missing module, as its first cold start on Lambda would.
import { fork, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNTIME = join(dirname(fileURLToPath(import.meta.url)), 'lambda-runtime.mjs');

export class BundleLoadError extends Error {
  constructor(
    readonly functionName: string,
    /** The package the bundle imports but does not carry, when that is why it failed. */
    readonly missingModule: string | undefined,
    detail: string,
  ) {
    super(
      missingModule
        ? `function ${functionName}: its bundle imports ${missingModule}, which the bundle does not carry (${detail})`
        : `function ${functionName}: its bundle does not load: ${detail}`,
    );
    this.name = 'BundleLoadError';
  }
}

export class InvocationError extends Error {
  constructor(
    readonly functionName: string,
    readonly error: { name: string; message: string; stack?: string },
  ) {
    super(`function ${functionName} failed: ${error.name}: ${error.message}`);
    this.name = 'InvocationError';
  }
}

export interface BareFunctionOptions {
  readonly name: string;
  readonly assetDir: string;
  /** `index.handler`. */
  readonly handler: string;
  /** The whole environment of the process: nothing is inherited. */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
}

export interface BareFunction {
  readonly taskRoot: string;
  /** Bytes of the code Lambda loads (the asset without its source maps). */
  readonly bundleBytes: number;
  /** Import of the bundle until the handler was found: the cold start's init phase. */
  readonly initMs: number;
  invoke(event: unknown): Promise<{ result: unknown; durationMs: number }>;
  /** Everything the function printed (logs, EMF metrics), one entry per line. */
  output(): readonly string[];
  stop(): void;
}

/** Refuses a folder from which Node's resolution could reach a node_modules. */
function assertBare(dir: string): void {
  for (let current = dirname(dir); ; current = dirname(current)) {
    if (existsSync(join(current, 'node_modules'))) throw new Error(`${current}/node_modules exists: a bundle run below it is not bare`);
    if (current === parse(current).root) return;
  }
}

const sizeOf = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, entry) =>
      sum + (entry.isDirectory() ? sizeOf(join(dir, entry.name)) : entry.name.endsWith('.map') ? 0 : statSync(join(dir, entry.name)).size),
    0,
  );

export async function startBareFunction(options: BareFunctionOptions): Promise<BareFunction> {
  const taskRoot = mkdtempSync(join(tmpdir(), `headroom-${options.name}-`));
  assertBare(taskRoot);
  cpSync(options.assetDir, taskRoot, { recursive: true });
  const lines: string[] = [];
  const child: ChildProcess = fork(RUNTIME, [taskRoot, options.handler], {
    cwd: taskRoot,
    env: { ...options.environment, LAMBDA_TASK_ROOT: taskRoot },
    // Not the repository's loaders (tsx): plain node, as on Lambda.
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
      const text = rest + chunk.toString('utf8');
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
    });
  }
  const pending = new Map<number, { resolve: (value: { result: unknown; durationMs: number }) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  const cleanup = () => {
    child.kill('SIGKILL');
    rmSync(taskRoot, { recursive: true, force: true });
  };

  const initMs = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new BundleLoadError(options.name, undefined, `the runtime exited with ${code}: ${lines.slice(-5).join(' | ')}`)),
    );
    child.on(
      'message',
      (message: {
        type: string;
        id?: number;
        initMs?: number;
        result?: unknown;
        durationMs?: number;
        error?: { name: string; code?: string; message: string };
      }) => {
        if (message.type === 'ready') resolve(message.initMs ?? 0);
        else if (message.type === 'init-error') {
          const error = message.error ?? { name: 'Error', message: 'unknown' };
          const missing = /Cannot find (?:package|module) '([^']+)'/.exec(error.message)?.[1];
          reject(new BundleLoadError(options.name, missing, `${error.code ?? error.name}: ${error.message}`));
        } else if (message.id !== undefined) {
          const waiter = pending.get(message.id);
          pending.delete(message.id);
          if (message.type === 'result') waiter?.resolve({ result: message.result, durationMs: message.durationMs ?? 0 });
          else waiter?.reject(new InvocationError(options.name, message.error ?? { name: 'Error', message: 'unknown' }));
        }
      },
    );
  }).catch((error: unknown) => {
    cleanup();
    throw error;
  });
  child.removeAllListeners('exit');
  child.on('exit', () => {
    for (const waiter of pending.values()) waiter.reject(new Error(`function ${options.name} exited during an invocation`));
    pending.clear();
  });

  return {
    taskRoot,
    bundleBytes: sizeOf(taskRoot),
    initMs,
    invoke: (event) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`function ${options.name} timed out after ${options.timeoutSeconds} s`));
        }, options.timeoutSeconds * 1000);
        pending.set(id, {
          resolve: (value) => (clearTimeout(timer), resolve(value)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        });
        child.send({ id, event, timeoutMs: options.timeoutSeconds * 1000 });
      }),
    output: () => lines,
    stop: cleanup,
  };
}
