import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleLoadError, startBareFunction } from '../../local/bare-function.js';

const assets = mkdtempSync(join(tmpdir(), 'headroom-assets-'));
afterAll(() => rmSync(assets, { recursive: true, force: true }));

const start = (name: string, code: string, environment: Record<string, string> = {}) => {
  const dir = mkdtempSync(join(assets, `${name}-`));
  writeFileSync(join(dir, 'index.mjs'), code);
  return startBareFunction({ name, assetDir: dir, handler: 'index.handler', environment, timeoutSeconds: 5 });
};

describe('a bundle run bare, as Lambda runs it', () => {
  it('fails to start with the function and the package it imports but does not carry', async () => {
    // better-sqlite3 is installed in this repository: only a bare folder proves the bundle does not rely on it.
    const started = start(
      'relay',
      "import Database from 'better-sqlite3';\nexport const handler = async () => new Database(':memory:');\n",
    );
    await expect(started).rejects.toBeInstanceOf(BundleLoadError);
    await expect(started).rejects.toThrow(
      /^function relay: its bundle imports better-sqlite3, which the bundle does not carry \(ERR_MODULE_NOT_FOUND/,
    );
  });

  it('loads, answers an event and sees only the environment it was given', async () => {
    const fn = await start(
      'echo',
      'export const handler = async (event, context) => ({ event, fromEnv: process.env.ONLY_THIS ?? null, home: process.env.HOME ?? null, remaining: context.getRemainingTimeInMillis() > 0 });\n',
      { ONLY_THIS: 'yes' },
    );
    try {
      const { result } = await fn.invoke({ hello: 'world' });
      expect(result).toEqual({ event: { hello: 'world' }, fromEnv: 'yes', home: null, remaining: true });
      expect(fn.bundleBytes).toBeGreaterThan(0);
    } finally {
      fn.stop();
    }
  });

  it('reports a handler that throws as a failed invocation, not a crash', async () => {
    const fn = await start('thrower', "export const handler = async () => { throw new TypeError('boom'); };\n");
    try {
      await expect(fn.invoke({})).rejects.toThrow('function thrower failed: TypeError: boom');
    } finally {
      fn.stop();
    }
  });

  it('refuses a handler string that names no export', async () => {
    await expect(start('nameless', 'export const other = 1;\n')).rejects.toThrow(/Runtime.HandlerNotFound/);
  });
});
