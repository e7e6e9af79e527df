// Which shards exist and who may live on them. A dedicated shard holds exactly its one tenant: nobody else is
// ever placed on it or moved onto it, and new tenants land only on shared shards. Every refusal says why, so the
// operator knows what to change (the target, the config, or the move already running).
import * as z from 'zod';
import type { ShardName, TenantId, TenantProfile } from './tenancy.js';

export type ShardKind = 'shared' | 'dedicated';

export const shardNameSchema = z.string().regex(/^shard-[0-9]+$/, 'shard names look like shard-<n>');

/** Every shard with its table; lib/ builds it from the config's shards and the runtime reads it back (HEADROOM_SHARDS). */
export const shardTopologySchema = z
  .array(
    z.strictObject({
      name: shardNameSchema,
      table: z.string().min(3),
      /** A dedicated shard holds exactly this tenant. */
      dedicatedTo: z.string().optional(),
    }),
  )
  .min(1);
export type ShardTopology = z.infer<typeof shardTopologySchema>;

/**
 * HEADROOM_SHARDS as a function reads it: the shard tables' common name prefix, the shard numbers as ranges
 * (`0-63`) and the dedicated shards, so the variable stays the same size however many shards there are (Lambda
 * allows 4 KB for all of a function's variables: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
 * Every shard table is named `<tablePrefix><shard name>` (lambdas/schema.ts `shardTableName`).
 */
const shardLayoutSchema = z.strictObject({
  tablePrefix: z.string(),
  shards: z.string().regex(/^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$/, 'shard numbers look like 0-3,7'),
  dedicated: z.record(shardNameSchema, z.string().min(1)).optional(),
});

const shardNumber = (name: string): number => Number(name.slice('shard-'.length));

/** The compact form of `topology`; throws when a table is not named `<one prefix><shard name>`. */
export function encodeShardTopology(topology: ShardTopology): string {
  const [first] = topology;
  if (!first || !first.table.endsWith(first.name)) throw new Error(`shard tables must be named <prefix><shard name>, got ${first?.table}`);
  const tablePrefix = first.table.slice(0, first.table.length - first.name.length);
  const misnamed = topology.find((shard) => shard.table !== `${tablePrefix}${shard.name}`);
  if (misnamed) throw new Error(`shard table ${misnamed.table} is not named ${tablePrefix}${misnamed.name} like the others`);
  const numbers = topology.map((shard) => shardNumber(shard.name));
  const ranges: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j += 1;
    ranges.push(j === i ? `${numbers[i]}` : `${numbers[i]}-${numbers[j]}`);
    i = j + 1;
  }
  const dedicated = Object.fromEntries(topology.filter((shard) => shard.dedicatedTo !== undefined).map((s) => [s.name, s.dedicatedTo]));
  return JSON.stringify({ tablePrefix, shards: ranges.join(','), ...(Object.keys(dedicated).length > 0 ? { dedicated } : {}) });
}

/** The topology `encodeShardTopology` wrote, in the same order; throws on anything else. */
export function decodeShardTopology(raw: string): ShardTopology {
  const { tablePrefix, shards, dedicated = {} } = shardLayoutSchema.parse(JSON.parse(raw));
  const names = shards.split(',').flatMap((range) => {
    const [from, to = from] = range.split('-').map(Number) as [number, number?];
    if (to < from) throw new Error(`shard range ${range} runs backwards`);
    return Array.from({ length: to - from + 1 }, (_, k) => `shard-${from + k}`);
  });
  const unknown = Object.keys(dedicated).find((name) => !names.includes(name));
  if (unknown) throw new Error(`dedicated shard ${unknown} is not among the shards ${shards}`);
  return shardTopologySchema.parse(
    names.map((name) => ({
      name,
      table: `${tablePrefix}${name}`,
      ...(dedicated[name] === undefined ? {} : { dedicatedTo: dedicated[name] }),
    })),
  );
}

/** The table behind a shard; a shard the topology does not name is a stale route or a bad config, never a guess. */
export function tableOfShard(topology: ShardTopology, shard: string): string {
  const table = topology.find((candidate) => candidate.name === shard)?.table;
  if (!table) throw new Error(`unknown shard ${shard}: the shard topology names ${topology.map((s) => s.name).join(', ')}`);
  return table;
}

/** The shard a table serves, if the topology has it. */
export const shardOfTable = (topology: ShardTopology, table: string): string | undefined =>
  topology.find((candidate) => candidate.table === table)?.name;

/** The body of `POST /admin/tenants/{tenantId}/move` (and the CLI's `--to`). */
export const startMoveSchema = z.strictObject({ to: shardNameSchema });

export const shardKind = (shard: ShardTopology[number]): ShardKind => (shard.dedicatedTo === undefined ? 'shared' : 'dedicated');

/** The shards new tenants may be placed on. */
export const sharedShards = (topology: ShardTopology): ShardTopology => topology.filter((shard) => shard.dedicatedTo === undefined);

export const findShard = (topology: ShardTopology, name: ShardName) => topology.find((shard) => shard.name === name);

export type MoveRefusal =
  | { readonly reason: 'unknown-tenant'; readonly detail: string }
  | { readonly reason: 'same-shard'; readonly detail: string }
  | { readonly reason: 'unknown-shard'; readonly detail: string }
  | { readonly reason: 'dedicated-to-another'; readonly detail: string }
  | { readonly reason: 'already-moving'; readonly detail: string };

export interface MoveRequest {
  readonly tenantId: TenantId;
  readonly profile: TenantProfile | undefined;
  readonly target: ShardName;
  /** The id of a move of this tenant that has not finished, if any. */
  readonly activeMove?: string;
}

/** Why `request` cannot start, or undefined when the move may go ahead. */
export function refuseMove(topology: ShardTopology, { tenantId, profile, target, activeMove }: MoveRequest): MoveRefusal | undefined {
  if (!profile) {
    return { reason: 'unknown-tenant', detail: `Tenant ${tenantId} does not exist. List tenants with \`headroom tenants list\`.` };
  }
  if (activeMove !== undefined) {
    return {
      reason: 'already-moving',
      detail: `Tenant ${tenantId} is already moving (${activeMove}). Follow it with \`headroom moves status ${tenantId}\`, or cancel it first.`,
    };
  }
  const shard = findShard(topology, target);
  if (!shard) {
    const known = topology.map((candidate) => candidate.name).join(', ');
    return {
      reason: 'unknown-shard',
      detail: `Shard ${target} does not exist. Known shards: ${known}. Adding a shard is a config change and a deploy.`,
    };
  }
  if (profile.shard === target) {
    return {
      reason: 'same-shard',
      detail: `Tenant ${tenantId} already lives on ${target}. Pick another shard (\`headroom shards list\`).`,
    };
  }
  if (shard.dedicatedTo !== undefined && shard.dedicatedTo !== tenantId) {
    return {
      reason: 'dedicated-to-another',
      detail: `Shard ${target} is dedicated to tenant ${shard.dedicatedTo}. Move ${tenantId} to a shared shard or to one dedicated to it.`,
    };
  }
  return undefined;
}
