// `headroom search …`: search generations and the index migration as operators run it. Arguments are validated
// with the API's own schemas before anything is sent; `search migrate status` redraws the phase's progress while
// the runner works, and prints the per-tenant table and the command to run next once it needs the operator.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { searchCutoverSchema, searchRollbackSchema, startSearchMigrationSchema } from '../../lambdas/core/api-contract.js';
import type { CutoverResult, RollbackResult } from '../../lambdas/core/migrations/index-migration-admin.js';
import type { describeIndexMigration } from '../../lambdas/core/migrations/index-migration-report.js';
import type { Action } from './move-commands.js';
import { parseArgs, UsageError } from './arguments.js';
import { emit, keyValues, nextLine, progressBar, progressText, table, watchUntilSettled, type Connection } from './output.js';

type MigrationStatus = ReturnType<typeof describeIndexMigration>;

const tenantList = (value: string) =>
  value
    .split(',')
    .map((tenant) => tenant.trim())
    .filter(Boolean);

const TENANT_COLUMNS = ['tenantId', 'shard', 'backfilled', 'verify', 'matching', 'differing', 'readGeneration', 'cutOverAt'];

export function describeSearchMigration(status: MigrationStatus, connection: Connection = {}): string {
  const { migration, progress, totals, shadow, tenants } = status;
  const of = (n: number) => (totals.tenants === 0 ? 0 : n / totals.tenants);
  return [
    `${migration.id}: ${migration.from} → ${migration.to}  ${migration.phase}  ${progressText(progress)}${migration.lastError ? `  (last error: ${migration.lastError})` : ''}`,
    `backfilled ${progressBar(of(totals.tenantsBackfilled))}  ${totals.tenantsBackfilled}/${totals.tenants} tenants, ${totals.documentsBackfilled} documents copied`,
    `verified   ${progressBar(of(totals.tenantsVerified))}  ${totals.tenantsVerified}/${totals.tenants} tenants${totals.tenantsDiffering ? `, ${totals.tenantsDiffering} still differing` : ''}`,
    `cut over   ${progressBar(of(totals.tenantsCutOver))}  ${totals.tenantsCutOver}/${totals.tenants} tenants read ${migration.to}`,
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
    ...tenants
      .filter((tenant) => (tenant.differing ?? 0) > 0)
      .map((tenant) => `${tenant.tenantId} sample ids: ${JSON.stringify(tenant.samples)}`),
    ...(shadow.samples.length > 0 ? [`shadow mismatch samples: ${JSON.stringify(shadow.samples.slice(0, 5))}`] : []),
    nextLine(progress.next, connection),
  ].join('\n');
}

/** The live line of `search migrate status` while the runner works. */
export const searchFrame = (status: MigrationStatus): string =>
  `${status.migration.phase.padEnd(12)}  ${progressText(status.progress)}${status.migration.lastError ? `  (retrying after: ${status.migration.lastError})` : ''}`;

/** What a cutover or rollback changed, where the migration is now, and what to run next. */
export function describeReadChange(result: CutoverResult | RollbackResult, connection: Connection = {}): string {
  const changed =
    'rolledBack' in result
      ? `rolled back: ${result.rolledBack.join(', ') || '(none)'}`
      : `cut over: ${result.cutOver.join(', ') || '(none)'}; already: ${result.alreadyCutOver.join(', ') || '(none)'}`;
  return [changed, `${result.phase}  ${progressText(result.progress)}`, nextLine(result.progress.next, connection)].join('\n');
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
            throw new UsageError(`Cannot read the mapping file ${flags.mapping}: ${(error as Error).message}`);
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
    .description('per tenant: backfilled, verified, differing, read generation; progress while the runner works, then the next command')
    .option('--no-watch', 'print once instead of redrawing while the runner works')
    .action(
      action(async (client, options, flags: { watch: boolean }) => {
        const read = () => client.request<MigrationStatus>('GET', '/admin/search/migration');
        // Watching is the default, so only a terminal watches: a script gets one answer and no wait.
        const status =
          flags.watch && options.json !== true && process.stdout.isTTY
            ? await watchUntilSettled({ read, running: (value) => value.progress.running, frame: searchFrame })
            : await read();
        emit(options.json === true, status, () => describeSearchMigration(status, options));
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
          throw new UsageError('Give exactly one of --tenants a,b or --percent N. See --help.');
        const body = parseArgs(
          searchCutoverSchema,
          flags.tenants ? { tenants: tenantList(flags.tenants) } : { percent: Number(flags.percent) },
        );
        const result = await client.request<CutoverResult>('POST', '/admin/search/migration/cutover', body);
        emit(options.json === true, result, () => describeReadChange(result, options));
      }),
    );

  migrate
    .command('rollback')
    .description('move reads of tenants back to the old generation (possible until `complete`)')
    .requiredOption('--tenants <ids>', 'comma-separated tenant ids')
    .action(
      action(async (client, options, flags: { tenants: string }) => {
        const body = parseArgs(searchRollbackSchema, { tenants: tenantList(flags.tenants) });
        const result = await client.request<RollbackResult>('POST', '/admin/search/migration/rollback', body);
        emit(options.json === true, result, () => describeReadChange(result, options));
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
