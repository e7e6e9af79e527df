// The largest supported scale (64 shards, DESIGN.md §10) must synthesize inside Lambda's ceilings. A function's
// variables may total 4 KB (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html); the shard
// topology used to name every table in every platform function, so the job worker crossed 4 KB at about 31 shards.
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/environment.js';
import { testApp } from './headroom-test-app.js';

const LAMBDA_ENVIRONMENT_LIMIT = 4096;
/** A reference (Ref, GetAtt, an import) counts as this many bytes: longer than the queue URLs and ARNs it stands for. */
const REFERENCE_BYTES = 160;

/** The size of a function's variables once deployed, with every CloudFormation reference counted generously. */
function environmentBytes(variables: Record<string, unknown>): number {
  const valueBytes = (value: unknown): number => {
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (typeof value !== 'object' || value === null) return String(value).length;
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].reduce<number>((sum, part) => sum + valueBytes(part), 0) + join[0].length * (join[1].length - 1);
    return REFERENCE_BYTES;
  };
  return Object.entries(variables).reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + valueBytes(value), 0);
}

/** Every function's estimated environment size, by stack and logical id, at `shardCount` shards, and which read the shards. */
function environmentSizes(shardCount: number): { sizes: Map<string, number>; readingShards: Set<string> } {
  const { app } = testApp({ shards: Array.from({ length: shardCount }, (_, n) => ({ name: `shard-${n}` })) });
  const sizes = new Map<string, number>();
  const readingShards = new Set<string>();
  for (const stack of app.synth().stacks) {
    for (const [id, resource] of Object.entries<{ Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> } } }>(
      stack.template.Resources,
    )) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const variables = resource.Properties.Environment?.Variables ?? {};
      sizes.set(`${stack.stackName}/${id}`, environmentBytes(variables));
      if (ENV.shards in variables) readingShards.add(`${stack.stackName}/${id}`);
    }
  }
  return { sizes, readingShards };
}

describe('synth-time ceilings at the largest supported scale', () => {
  it('keeps every shard-reading function environment under 4 KB with a quarter to spare at 64 shards, and no function larger than at 4 but for a digit', () => {
    const { sizes: small } = environmentSizes(4);
    const { sizes: large, readingShards } = environmentSizes(64);
    expect(readingShards.size).toBeGreaterThan(15);
    for (const fn of readingShards) {
      const bytes = large.get(fn)!;
      expect({ fn, bytes }).toEqual({ fn, bytes: expect.toSatisfy((n: number) => n <= LAMBDA_ENVIRONMENT_LIMIT * 0.75) });
    }
    for (const [fn, bytes] of large) {
      // `0-3` becomes `0-63`: the shard range's digits are all that grows.
      expect({ fn, growth: bytes - small.get(fn)! }).toEqual({ fn, growth: expect.toSatisfy((n: number) => n <= 2) });
    }
  });
});
