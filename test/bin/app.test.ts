// The CDK entry refuses a bad configuration the way an operator can act on: one line naming the path and the
// reason, exit 1, no stack trace, and nothing synthesized.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** bin/app.ts as `cdk synth -c …` runs it: the CLI hands the context over in CDK_CONTEXT_JSON. */
const synth = (context: Record<string, unknown>) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    cwd: root,
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: resolve(root, '.scratch', 'app-test-out') },
    encoding: 'utf8',
  });

describe('bin/app.ts with a bad configuration', () => {
  it.each([
    ['-c headroom that is not JSON', { headroom: 'not json' }, /^invalid headroom config: -c headroom is not JSON: /],
    ['an unknown key', { headroom: '{"nope":1}' }, /^invalid headroom config: ✖ Unrecognized key: "nope"/],
    [
      'a wrong type, with its path',
      { headroom: { runtime: { memoryMb: 'big' } } },
      /expected number, received string\s+→ at runtime\.memoryMb/,
    ],
    [
      'a layout AWS refuses',
      { headroom: { search: { multiAzWithStandby: true } } },
      /multi-AZ with standby keeps a full copy in each of 3 zones/,
    ],
    ['an unknown profile', { profile: 'tiny' }, /^invalid headroom config: unknown profile "tiny"; valid profiles: production, trial/],
  ])('refuses %s: one clear message, exit 1', (_what, context, message) => {
    const run = synth(context);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
