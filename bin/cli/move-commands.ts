// `headroom shards list`, `headroom tenants move`, `headroom moves …`: tenant moves between shards as operators run
// them. Arguments are validated with the API's own schemas before anything is sent; `moves status <id> --watch`
// redraws the phase's progress until the move needs the operator (soaking) or has ended, then prints the move and
// the command to run next.
import type { Command } from 'commander';
import { tenantPathSchema } from '../../lambdas/core/api-contract.js';
import type { MoveView } from '../../lambdas/core/moves/move-admin.js';
import { startMoveSchema } from '../../lambdas/core/tenancy/shard-topology.js';
import type { AdminClient } from './admin-client.js';
import { parseArgs } from './arguments.js';
import { emit, keyValues, nextLine, progressText, table, watchUntilSettled, type Connection } from './output.js';

interface Options extends Connection {
  readonly json?: boolean;
}

/** The CLI's action wrapper (connects, passes global options); bin/headroom.ts supplies it. */
export type Action = <A extends unknown[]>(
  run: (client: AdminClient, options: Options, ...args: A) => Promise<void>,
) => (...args: unknown[]) => Promise<void>;

const tenantOf = (id: string) => parseArgs(tenantPathSchema, { tenantId: id }).tenantId;

const SHARD_COLUMNS = ['name', 'kind', 'dedicatedTo', 'tenants', 'items', 'writesPerSecond', 'moving'];
const MOVE_COLUMNS = ['tenantId', 'from', 'to', 'phase', 'copied', 'lagMs', 'fenceMs', 'updatedAt'];

/** One move as a few readable lines: where it is, how far, how far behind, what the cutover cost, what is next. */
export function describeMove(move: MoveView, connection: Connection = {}): string {
  const v = move.verify;
  return [
    `${move.tenantId}: ${move.from} → ${move.to}  ${move.phase}  ${progressText(move.progress)}`,
    keyValues({
      id: move.id,
      copied: move.copied,
      verified: `${v.processed} processed, ${v.matching} matching, ${v.mismatched} mismatched, ${v.missing} missing, ${v.extra} extra, ${v.changedDuringScan} changed during scan (pass ${v.pass}, ${v.recheck} to re-check in the fence)`,
      lagMs: move.lagMs,
      fenceMs: move.fenceMs,
      cutoverAttempts: move.cutoverAttempts,
      cleanedUp: move.cleanedUp,
      lastError: move.lastError,
      ...Object.fromEntries(
        Object.entries(move.phaseTimestamps)
          .sort(([, a], [, b]) => a.localeCompare(b))
          .map(([phase, at]) => [`entered ${phase}`, at]),
      ),
    }),
    ...(v.samples.missing.length + v.samples.mismatched.length + v.samples.extra.length > 0
      ? [`sample keys: ${JSON.stringify(v.samples)}`]
      : []),
    nextLine(move.progress.next, connection),
  ].join('\n');
}

/** The live line of `moves status --watch`. */
export const moveFrame = (move: MoveView): string =>
  `${move.phase.padEnd(12)}  ${progressText(move.progress)}${move.lastError ? `  (retrying after: ${move.lastError})` : ''}`;

export function registerMoveCommands(program: Command, action: Action): void {
  program
    .command('shards')
    .description('shard topology: shared or dedicated, tenants, items (approximate), write rate, moves in progress')
    .command('list')
    .description('every shard with its tenants, approximate item count, writes per second and dedicated owner')
    .action(
      action(async (client, options) => {
        const { items } = await client.request<{ items: Record<string, unknown>[] }>('GET', '/admin/shards');
        emit(options.json === true, items, () => table(items, SHARD_COLUMNS));
      }),
    );

  const tenants = program.commands.find((command) => command.name() === 'tenants') ?? program.command('tenants');
  tenants
    .command('move')
    .description('move a tenant to another shard online (copy, verify, catch up, cut over behind a short write fence)')
    .argument('<id>', 'tenant id')
    .requiredOption('--to <shard>', 'target shard (shared, or dedicated to this tenant); see `headroom shards list`')
    .action(
      action(async (client, options, id: string, flags: { to: string }) => {
        const tenantId = tenantOf(id);
        const body = parseArgs(startMoveSchema, { to: flags.to });
        const move = await client.request<MoveView>('POST', `/admin/tenants/${tenantId}/move`, body);
        emit(options.json === true, move, () => describeMove(move, options));
      }),
    );

  const moves = program.command('moves').description('tenant moves between shards: progress, lag, cancel, reverse, complete');
  moves
    .command('status')
    .description('every move (table), or one tenant’s move with its progress, lag, verify report and phase times')
    .argument('[id]', 'tenant id')
    .option('--watch', 'redraw every second until the move is soaking or has ended, then print the next command')
    .action(
      action(async (client, options, id: string | undefined, flags: { watch?: boolean }) => {
        if (id === undefined) {
          const { items } = await client.request<{ items: MoveView[] }>('GET', '/admin/moves');
          emit(options.json === true, items, () => table(items, MOVE_COLUMNS));
          return;
        }
        const tenantId = tenantOf(id);
        const read = () => client.request<MoveView>('GET', `/admin/moves/${tenantId}`);
        const move =
          flags.watch && options.json !== true
            ? await watchUntilSettled({ read, running: (view) => view.progress.running, frame: moveFrame })
            : await read();
        emit(options.json === true, move, () => describeMove(move, options));
      }),
    );

  for (const [name, description] of [
    ['cancel', 'stop a move before its cutover; the copy on the target shard is deleted, the tenant stays put'],
    ['reverse', 'after the cutover: move the tenant back (short fence again); the new copy is deleted'],
    ['complete', 'after the cutover: end reverse replication and delete the old copy (throttled)'],
  ] as const) {
    moves
      .command(name)
      .description(description)
      .argument('<id>', 'tenant id')
      .action(
        action(async (client, options, id: string) => {
          const move = await client.request<MoveView>('POST', `/admin/moves/${tenantOf(id)}/${name}`);
          emit(options.json === true, move, () => describeMove(move, options));
        }),
      );
  }
}
