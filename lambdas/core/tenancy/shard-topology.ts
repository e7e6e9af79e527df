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
