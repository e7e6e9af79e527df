// `headroom repair status` and `headroom repair run [--tenant T] [--view V]`: the derived-data reconciler as operators
// drive it. A run is requested through the admin API and done by the repair function (paced, as every pass is);
// `run` waits for it and prints what it found, unless `--no-wait`. Arguments are validated with the API's schema.
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { repairRunSchema, type RepairPass, type RepairStatus } from '../../lambdas/core/repair/derived-data-repair.js';
import { parseArgs } from './arguments.js';
import { emit, keyValues, table } from './output.js';
import type { Action } from './move-commands.js';

const STATUS_COLUMNS = ['view', 'finishedAt', 'trigger', 'checked', 'found', 'repaired', 'divergent', 'persistent'];
const POLL_MS = 1000;

/** The last pass of each view as table rows. */
export function statusRows(status: RepairStatus): Record<string, unknown>[] {
  return status.views.map((view) => ({
    view: view.view,
    finishedAt: view.finishedAt,
    trigger: view.tenant ? `${view.trigger} (${view.tenant})` : view.trigger,
    ...view.tally,
    persistent: view.persistentTenants,
  }));
}

/** One pass as a few readable lines. */
export function describePass(pass: RepairPass): string {
  return [
    `${pass.id}  ${pass.status}  ${pass.tenant ? `tenant ${pass.tenant}` : 'every tenant'}  views ${pass.views.join(', ')}`,
    keyValues({ tenantsChecked: pass.tenantsChecked, itemsRead: pass.itemsRead, startedAt: pass.startedAt, finishedAt: pass.finishedAt }),
    table(
      pass.views.map((view) => ({
        view,
        ...(pass.tallies[view] ?? { checked: 0, found: 0, repaired: 0, divergent: 0 }),
        divergentTenants: (pass.divergentTenants[view] ?? []).slice(0, 5).join(' '),
      })),
      ['view', 'checked', 'found', 'repaired', 'divergent', 'divergentTenants'],
    ),
  ].join('\n');
}

export function registerRepairCommands(program: Command, action: Action): void {
  const repair = program.command('repair').description('continuous repair of derived data (search documents, usage counters)');

  repair
    .command('status')
    .description('the last pass of each view (found, repaired, still divergent) and the passes in progress')
    .action(
      action(async (client, options) => {
        const status = await client.request<RepairStatus>('GET', '/admin/repair');
        emit(options.json === true, status, () =>
          [
            status.views.length > 0 ? table(statusRows(status), STATUS_COLUMNS) : 'No repair pass has completed yet.',
            ...status.active.map(
              (pass) => `in progress: ${pass.id} (${pass.trigger}${pass.tenant ? `, ${pass.tenant}` : ''}, ${pass.status})`,
            ),
          ].join('\n'),
        );
      }),
    );

  repair
    .command('run')
    .description('check and repair now (before the next scheduled pass), every tenant or one, every view or one')
    .option('--tenant <id>', 'only this tenant')
    .option('--view <view>', 'only this view: search or usage')
    .option('--no-wait', 'return once the run is requested')
    .action(
      action(async (client, options, flags: { tenant?: string; view?: string; wait: boolean }) => {
        const body = parseArgs(repairRunSchema, {
          ...(flags.tenant === undefined ? {} : { tenant: flags.tenant }),
          ...(flags.view === undefined ? {} : { view: flags.view }),
        });
        let pass = await client.request<RepairPass>('POST', '/admin/repair/runs', body);
        while (flags.wait && pass.status !== 'completed') {
          await sleep(POLL_MS);
          pass = await client.request<RepairPass>('GET', `/admin/repair/runs/${pass.id}`);
        }
        emit(options.json === true, pass, () =>
          pass.status === 'completed' ? describePass(pass) : `Repair run ${pass.id} requested; follow it with \`headroom repair status\`.`,
        );
      }),
    );
}
