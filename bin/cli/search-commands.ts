// `headroom search …`: search generations and the index migration as operators run it. Arguments are validated
// with the API's own schemas before anything is sent; `search migrate status` redraws progress bars while the
// migration copies and verifies, and prints the per-tenant table once it needs the operator.
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { searchCutoverSchema, searchRollbackSchema, startSearchMigrationSchema } from '../../lambdas/core/api-contract.js';
import type { describeIndexMigration } from '../../lambdas/core/migrations/index-migration-report.js';
import { CliError } from './admin-client.js';
import type { Action } from './move-commands.js';
import { parseArgs } from './arguments.js';
import { emit, keyValues, progressBar, table } from './output.js';

type MigrationStatus = ReturnType<typeof describeIndexMigration>;

const tenantList = (value: string) =>
  value
    .split(',')
    .map((tenant) => tenant.trim())
    .filter(Boolean);

const TENANT_COLUMNS = ['tenantId', 'shard', 'backfilled', 'verify', 'matching', 'mismatched', 'readGeneration', 'cutOverAt'];
/** Phases in which the runner is busy and progress bars are worth watching. */
const BUSY = new Set(['planned', 'copying', 'verifying', 'completing', 'cancelling']);

export function describeSearchMigration(status: MigrationStatus): string {
  const { migration, totals, shadow, tenants } = status;
  const of = (n: number) => (totals.tenants === 0 ? 0 : n / totals.tenants);
  const samples = tenants.filter((tenant) => tenant.mismatched);
  return [
    `${migration.id}: ${migration.from} → ${migration.to}  phase ${migration.phase}${migration.lastError ? `  (last error: ${migration.lastError})` : ''}`,
    `backfilled ${progressBar(of(totals.backfilled))}  ${totals.backfilled}/${totals.tenants} tenants, ${totals.documents} documents`,
    `verified   ${progressBar(of(totals.verified))}  ${totals.verified}/${totals.tenants} tenants${totals.mismatched ? `, ${totals.mismatched} mismatched` : ''}`,
    `cut over   ${progressBar(of(totals.cutOver))}  ${totals.cutOver}/${totals.tenants} tenants read ${migration.to}`,
    keyValues({
      'shadow reads': `${shadow.compared} compared, ${shadow.mismatched} mismatched (control ${shadow.controlAvgMs ?? '-'} ms, candidate ${shadow.candidateAvgMs ?? '-'} ms avg)`,
      'soak ends': migration.soakEndsAt,
      ...Object.fromEntries(
        Object.entries(migration.phaseTimestamps)
          .sort(([, a], [, b]) => a.localeCompare(b))
          .map(([phase, at]) => [`entered ${phase}`, at]),
      ),
    }),
    '',
    table(tenants, TENANT_COLUMNS),
    ...samples
      .filter((tenant) => (tenant.mismatched ?? 0) > 0)
      .map((tenant) => `${tenant.tenantId} sample ids: ${JSON.stringify(tenant.samples)}`),
    ...(shadow.samples.length > 0 ? [`shadow mismatch samples: ${JSON.stringify(shadow.samples.slice(0, 5))}`] : []),
  ].join('\n');
}

export function registerSearchCommands(program: Command, action: Action): void {
  const search = program
    .command('search')
    .description('search generations and online index migrations (dual-write, backfill, verify, cutover)');

  search
    .command('generations')
    .description('the search generations that exist, their status, and whether searches are shadowed onto them')
    .action(
      action(async (client, options) => {
        const { items } = await client.request<{ items: Record<string, unknown>[] }>('GET', '/admin/search/generations');
        emit(options.json === true, items, () => table(items, ['generation', 'status', 'createdAt', 'shadowRate', 'migrationId']));
      }),
    );

  const migrate = search.command('migrate').description('reshape the search index online, tenant by tenant');

  migrate
    .command('start')
    .description('create a new generation, turn dual-write on, backfill and verify every tenant')
    .requiredOption('--to <generation>', 'the new generation, e.g. g2 (after the serving one)')
    .option('--mapping <file>', 'JSON file with engine settings for the new generation ({"opensearch": {...}, "sqlite": {...}})')
    .option('--shadow-rate <fraction>', 'share of searches also run on the new generation and compared (0-1)', '0.1')
    .option('--soak-seconds <seconds>', 'how long every tenant must read the new generation before `complete`', '3600')
    .action(
      action(async (client, options, flags: { to: string; mapping?: string; shadowRate: string; soakSeconds: string }) => {
        let mapping: unknown;
        if (flags.mapping) {
          try {
            mapping = JSON.parse(readFileSync(flags.mapping, 'utf8'));
          } catch (error) {
            throw new CliError(`Cannot read the mapping file ${flags.mapping}: ${(error as Error).message}`);
          }
        }
        const body = parseArgs(startSearchMigrationSchema, {
          to: flags.to,
          ...(mapping === undefined ? {} : { mapping }),
          shadowRate: Number(flags.shadowRate),
          soakSeconds: Number(flags.soakSeconds),
        });
        const record = await client.request<{ id: string; phase: string }>('POST', '/admin/search/migration', body);
        emit(
          options.json === true,
          record,
          () => `${record.id} started (${record.phase}). Follow it with \`headroom search migrate status\`.`,
        );
      }),
    );

  migrate
    .command('status')
    .description('per tenant: backfilled, verified, mismatches, read generation; progress bars while the runner works')
    .option('--no-watch', 'print once instead of redrawing while the runner copies and verifies')
    .action(
      action(async (client, options, flags: { watch: boolean }) => {
        for (;;) {
          const status = await client.request<MigrationStatus>('GET', '/admin/search/migration');
          if (!flags.watch || options.json === true || !BUSY.has(status.migration.phase) || !process.stdout.isTTY) {
            emit(options.json === true, status, () => describeSearchMigration(status));
            return;
          }
          const { totals } = status;
          const done = status.migration.phase === 'copying' ? totals.backfilled : totals.verified;
          process.stdout.write(
            `\r${status.migration.phase.padEnd(10)} ${progressBar(totals.tenants ? done / totals.tenants : 0)}  ${totals.documents} documents   `,
          );
          await sleep(1000);
        }
      }),
    );

  migrate
    .command('cutover')
    .description('move reads of verified tenants to the new generation (refused, with reasons, for tenants not verified)')
    .option('--tenants <ids>', 'comma-separated tenant ids')
    .option('--percent <n>', 'a sticky share of all tenants (raising it only adds tenants)')
    .action(
      action(async (client, options, flags: { tenants?: string; percent?: string }) => {
        if ((flags.tenants === undefined) === (flags.percent === undefined))
          throw new CliError('Give exactly one of --tenants a,b or --percent N. See --help.');
        const body = parseArgs(
          searchCutoverSchema,
          flags.tenants ? { tenants: tenantList(flags.tenants) } : { percent: Number(flags.percent) },
        );
        const result = await client.request<{ cutOver: string[]; alreadyCutOver: string[] }>(
          'POST',
          '/admin/search/migration/cutover',
          body,
        );
        emit(
          options.json === true,
          result,
          () => `cut over: ${result.cutOver.join(', ') || '(none)'}; already: ${result.alreadyCutOver.join(', ') || '(none)'}`,
        );
      }),
    );

  migrate
    .command('rollback')
    .description('move reads of tenants back to the old generation (possible until `complete`)')
    .requiredOption('--tenants <ids>', 'comma-separated tenant ids')
    .action(
      action(async (client, options, flags: { tenants: string }) => {
        const body = parseArgs(searchRollbackSchema, { tenants: tenantList(flags.tenants) });
        const result = await client.request<{ rolledBack: string[] }>('POST', '/admin/search/migration/rollback', body);
        emit(options.json === true, result, () => `rolled back: ${result.rolledBack.join(', ')}`);
      }),
    );

  for (const [name, description] of [
    ['complete', 'after every tenant is cut over and the soak period: make the new generation serving and drop the old one'],
    ['cancel', 'before any cutover: stop dual-write and drop the new generation'],
  ] as const) {
    migrate
      .command(name)
      .description(description)
      .action(
        action(async (client, options) => {
          const record = await client.request<{ id: string; phase: string }>('POST', `/admin/search/migration/${name}`);
          emit(options.json === true, record, () => `${record.id}: ${record.phase}. Follow it with \`headroom search migrate status\`.`);
        }),
      );
  }
}
