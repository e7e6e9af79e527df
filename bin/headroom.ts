#!/usr/bin/env -S node --import tsx
// `npx headroom …`: the operator CLI. It speaks only to the admin API, so the local platform and a deployed stack
// are driven the same way. Arguments are validated with the same schemas the API uses before anything is sent, so a
// bad one is a usage error (exit 2) and a refused or failed call exits 1; either way the operator reads one message,
// never a stack trace.
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import {
  createTenantSchema,
  flagHistoryQuerySchema,
  flagPathSchema,
  flagReasonBodySchema,
  flagTenantsBodySchema,
  killFlagBodySchema,
  listTenantsQuerySchema,
  queuePathSchema,
  rolloutFlagBodySchema,
  setFlagBodySchema,
  tenantPathSchema,
  topTenantsQuerySchema,
  unpinFlagBodySchema,
  type TenantView,
} from '../lambdas/core/api-contract.js';
import type { FlagSummary } from '../lambdas/core/flags/flag-admin.js';
import { TIERS } from '../lambdas/core/tenancy/tiers.js';
import { CliError, connect, type AdminClient, type ConnectOptions } from './cli/admin-client.js';
import { emit, keyValues, table } from './cli/output.js';
import { parseArgs, UsageError } from './cli/arguments.js';
import { registerLlmCommands } from './cli/llm-commands.js';
import { registerMoveCommands } from './cli/move-commands.js';
import { registerRepairCommands } from './cli/repair-commands.js';
import { registerSearchCommands } from './cli/search-commands.js';
import { operationsReport } from './cli/operations-report.js';
import type { OperationsSnapshot } from '../lambdas/core/operations/operations-snapshot.js';

interface GlobalOptions {
  readonly json?: boolean;
  readonly endpoint?: string;
  readonly stack?: string;
  readonly region?: string;
  readonly profile?: string;
}

/** What `tenants create` and `tokens rotate` answer: the tenant and its new token, which is shown only this once. */
interface IssuedToken {
  readonly tenant: TenantView;
  readonly token: string;
}

const TENANT_COLUMNS = ['id', 'shard', 'tier', 'group', 'status', 'epoch', 'createdAt'];

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command()
  .name('headroom')
  .description('Operate a Headroom platform (local `npm start` or a deployed stack) through its admin API.')
  .version('0.1.0')
  .addOption(new Option('--json', 'print JSON instead of tables'))
  .addOption(
    new Option(
      '--endpoint <url>',
      'admin API base URL (default: HEADROOM_ENDPOINT, else the URL `npm start` wrote to $HEADROOM_DATA_DIR/platform-url, else http://127.0.0.1:$PORT, port 8787)',
    ).conflicts('stack'),
  )
  .addOption(new Option('--stack <name>', 'deployed API stack name: endpoint from its outputs, calls signed with SigV4'))
  .addOption(new Option('--region <region>', "AWS region of --stack (default: AWS_REGION, then the profile's region)"))
  .addOption(new Option('--profile <name>', 'AWS shared-config profile for --stack: finds the stack and signs the calls'))
  .addHelpText('after', '\nExit codes: 0 done, 1 refused or failed call, 2 usage error (missing, unknown or bad argument).')
  .showHelpAfterError()
  .configureOutput({ outputError: (message, write) => write(message) })
  // Usage errors reach the catch below as CommanderErrors (exit 2); set before any command so each inherits it.
  .exitOverride()
  .hook('preAction', (root, command) => {
    const options = command.optsWithGlobals<GlobalOptions>();
    // Locally they would be silently ignored, and the operator would believe they acted on AWS.
    if (options.stack === undefined && (options.profile !== undefined || options.region !== undefined)) {
      const message =
        'error: --profile and --region apply to a deployed stack; add --stack HeadroomApi (or drop them to use the local platform).';
      root.error(message, { exitCode: 2, code: 'headroom.awsOptionWithoutStack' });
    }
  });

/**
 * The admin client, connected on its first call: a command checks its arguments first, so a bad one is a usage
 * error (exit 2) even with no platform running and no AWS credentials at hand. `endpoint` is known once it has called.
 */
function connectOnFirstCall(options: ConnectOptions): AdminClient {
  let connecting: Promise<AdminClient> | undefined;
  let endpoint = '';
  return {
    get endpoint() {
      return endpoint;
    },
    async request<T>(method: 'GET' | 'POST' | 'DELETE' | 'PUT', path: string, body?: unknown): Promise<T> {
      const client = await (connecting ??= connect(options));
      endpoint = client.endpoint;
      return client.request<T>(method, path, body);
    },
  };
}

function action<A extends unknown[]>(run: (client: AdminClient, options: GlobalOptions, ...args: A) => Promise<void>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const options = command.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
    const client = connectOnFirstCall({
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.stack ? { stack: options.stack } : {}),
      ...(options.region ? { region: options.region } : {}),
      ...(options.profile ? { profile: options.profile } : {}),
    });
    await run(client, options, ...(args.slice(0, -1) as A));
  };
}

const tenants = program.command('tenants').description('create, list and inspect tenants');

tenants
  .command('create')
  .description('create a tenant and print its API token (shown once; store it now)')
  .argument('<id>', 'tenant id: 1-63 lowercase letters, digits or inner dashes')
  .option('--group <group>', 'fairness group for background work (default: the tenant id)')
  .addOption(new Option('--tier <tier>', 'usage tier').choices([...TIERS]))
  .option('--shard <shard>', 'pin to a shard (default: placed by rendezvous hashing over shared shards)')
  .option(
    '--rotate-if-exists',
    'if the tenant already exists, rotate its API token instead (the old one stops working at once; its group, tier and shard stay) and print the new one: safe to run twice',
  )
  .option(
    '--token-only',
    'print only the API token (instead of the tenant, or --json), e.g. TOKEN=$(npx headroom tenants create acme --token-only)',
  )
  .action(
    action(
      async (
        client,
        options,
        id: string,
        flags: { group?: string; tier?: string; shard?: string; rotateIfExists?: boolean; tokenOnly?: boolean },
      ) => {
        const input = parseArgs(createTenantSchema, { id, group: flags.group, tier: flags.tier, shard: flags.shard });
        let rotated = false;
        const result = await client.request<IssuedToken>('POST', '/admin/tenants', input).catch((error: unknown) => {
          // 409 is the one conflict creating a tenant has: it exists.
          if (!(flags.rotateIfExists && error instanceof CliError && error.status === 409)) throw error;
          rotated = true;
          return client.request<IssuedToken>('POST', `/admin/tenants/${input.id}/tokens`);
        });
        if (rotated) process.stderr.write(`Tenant ${input.id} already existed: its API token was rotated; the old one no longer works.\n`);
        if (flags.tokenOnly) process.stdout.write(`${result.token}\n`);
        else emit(options.json === true, result, () => `${keyValues({ ...result.tenant })}\n\nAPI token (shown once): ${result.token}`);
      },
    ),
  );

tenants
  .command('list')
  .description('list tenants with their placement')
  .option('--limit <n>', 'tenants per page (1-1000)', '100')
  .option('--cursor <cursor>', 'continue from a previous page')
  .action(
    action(async (client, options, flags: { limit: string; cursor?: string }) => {
      const { limit, cursor } = parseArgs(listTenantsQuerySchema, { limit: flags.limit, cursor: flags.cursor });
      const query = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
      const page = await client.request<{ items: TenantView[]; nextCursor: string | null }>('GET', `/admin/tenants?${query}`);
      emit(options.json === true, page, () =>
        [table(page.items, TENANT_COLUMNS), page.nextCursor ? `\nmore: --cursor ${page.nextCursor}` : ''].join(''),
      );
    }),
  );

tenants
  .command('show')
  .description('show one tenant')
  .argument('<id>', 'tenant id')
  .action(
    action(async (client, options, id: string) => {
      const { tenantId } = parseArgs(tenantPathSchema, { tenantId: id });
      const tenant = await client.request<TenantView>('GET', `/admin/tenants/${tenantId}`);
      emit(options.json === true, tenant, () => keyValues({ ...tenant }));
    }),
  );

program
  .command('tokens')
  .description('manage API tokens')
  .command('rotate')
  .description('issue a new API token for a tenant; the old one stops working at once')
  .argument('<id>', 'tenant id')
  .action(
    action(async (client, options, id: string) => {
      const { tenantId } = parseArgs(tenantPathSchema, { tenantId: id });
      const result = await client.request<IssuedToken>('POST', `/admin/tenants/${tenantId}/tokens`);
      emit(options.json === true, result, () => `New API token for ${tenantId} (shown once): ${result.token}`);
    }),
  );

program
  .command('status')
  .description(
    'platform status: shards and their tenants; heartbeat alarm, canary, API latency per route, queues, job dwell per group, overflow, dead letters, migrations (the ops console numbers)',
  )
  .action(
    action(async (client, options) => {
      const status = await client.request<{
        tenants: number;
        shards: { name: string; dedicatedTo: string | null; tenants: number }[];
        operations?: OperationsSnapshot | null;
      }>('GET', '/admin/status');
      emit(options.json === true, { endpoint: client.endpoint, ...status }, () =>
        [
          `endpoint  ${client.endpoint}`,
          `tenants   ${status.tenants}`,
          '',
          table(status.shards, ['name', 'dedicatedTo', 'tenants']),
          '',
          operationsReport(status.operations),
        ].join('\n'),
      );
    }),
  );

tenants
  .command('top')
  .description('tenant groups ranked by background job rate over the last 5 and 60 minutes')
  .option('--limit <n>', 'groups to show (1-100)', '20')
  .action(
    action(async (client, options, flags: { limit: string }) => {
      const { limit } = parseArgs(topTenantsQuerySchema, { limit: flags.limit });
      const { items } = await client.request<{ items: Record<string, unknown>[] }>(
        'GET',
        `/admin/tenants/top?${new URLSearchParams({ limit: String(limit) })}`,
      );
      emit(options.json === true, items, () => table(items, ['group', 'jobs5m', 'jobs60m', 'ratePerSecond5m']));
    }),
  );

const queues = program.command('queues').description('job queues: depth, age, dead letters');

queues
  .command('status')
  .description('visible, in-flight and oldest-message age for the main, overflow and dead-letter queues')
  .action(
    action(async (client, options) => {
      const { items } = await client.request<{ items: Record<string, unknown>[] }>('GET', '/admin/queues');
      emit(options.json === true, items, () => table(items, ['queue', 'visible', 'inFlight', 'oldestAgeSeconds']));
    }),
  );

queues
  .command('redrive')
  .description('move every message of a dead-letter queue back to the queue it came from')
  .requiredOption('--from <dlq>', 'dead-letter queue: jobs-dlq or jobs-overflow-dlq')
  .action(
    action(async (client, options, flags: { from: string }) => {
      const { queue } = parseArgs(queuePathSchema, { queue: flags.from });
      const result = await client.request<Record<string, unknown>>('POST', `/admin/queues/${queue}/redrive`);
      emit(
        options.json === true,
        result,
        () => `Redrive of ${queue} started (${String(result.movedMessages ?? '?')} messages); watch it with \`headroom queues status\`.`,
      );
    }),
  );

const flags = program.command('flags').description('feature flags: targeting, rollouts, kill switch, audit');
const flagKey = (key: string) => parseArgs(flagPathSchema, { flagKey: key }).flagKey;
const tenantList = (raw: string) =>
  raw
    .split(',')
    .map((tenant) => tenant.trim())
    .filter(Boolean);
const FLAG_COLUMNS = ['key', 'type', 'state', 'defaultVariant', 'killed', 'pinned', 'rolloutPercent', 'version', 'updatedBy'];
const printFlag = (options: GlobalOptions, flag: FlagSummary) => emit(options.json === true, flag, () => keyValues(flag));

flags
  .command('list')
  .description('every flag with its state, pins and rollout')
  .action(
    action(async (client, options) => {
      const { items } = await client.request<{ items: FlagSummary[] }>('GET', '/admin/flags');
      emit(options.json === true, items, () => table(items, FLAG_COLUMNS));
    }),
  );

flags
  .command('get')
  .description('one flag: its flagd definition, pins, rollout and version')
  .argument('<key>', 'flag key')
  .action(
    action(async (client, options, key: string) => {
      const record = await client.request<Record<string, unknown>>('GET', `/admin/flags/${flagKey(key)}`);
      emit(options.json === true, record, () => JSON.stringify(record, null, 2));
    }),
  );

flags
  .command('set')
  .description('create or replace a flag from a flagd flag definition file (validated; nothing stored if invalid)')
  .argument('<key>', 'flag key, e.g. search.read-generation')
  .requiredOption('--file <path>', 'JSON file with one flagd flag: { state, variants, defaultVariant, targeting? }')
  .option('--if-version <n>', 'only if the flag is still at this version (0: only if it does not exist)')
  .option('--reason <text>', 'why, for the audit trail')
  .action(
    action(async (client, options, key: string, flags: { file: string; ifVersion?: string; reason?: string }) => {
      const path = `/admin/flags/${flagKey(key)}`;
      let definition: unknown;
      try {
        definition = JSON.parse(readFileSync(flags.file, 'utf8'));
      } catch (error) {
        throw new UsageError(`Cannot read ${flags.file} as JSON: ${(error as Error).message}`);
      }
      const expectedVersion = flags.ifVersion === undefined ? undefined : Number(flags.ifVersion);
      const body = parseArgs(setFlagBodySchema, { definition, expectedVersion, reason: flags.reason });
      printFlag(options, await client.request<FlagSummary>('PUT', path, body));
    }),
  );

for (const [name, description] of [
  ['enable', 'turn a flag on: state ENABLED, and lift a kill'],
  ['disable', 'turn a flag off the flagd way: state DISABLED, so code falls back to its defaults'],
] as const) {
  flags
    .command(name)
    .description(description)
    .argument('<key>', 'flag key')
    .option('--reason <text>', 'why, for the audit trail')
    .action(
      action(async (client, options, key: string, flags: { reason?: string }) => {
        const path = `/admin/flags/${flagKey(key)}/${name}`;
        printFlag(options, await client.request<FlagSummary>('POST', path, parseArgs(flagReasonBodySchema, { reason: flags.reason })));
      }),
    );
}

flags
  .command('kill')
  .description('kill switch: the "off" variant for every tenant, whatever the targeting, until `flags enable`')
  .argument('<key>', 'flag key')
  .requiredOption('--reason <text>', 'why, for the audit trail and on-call')
  .action(
    action(async (client, options, key: string, flags: { reason: string }) => {
      const path = `/admin/flags/${flagKey(key)}/kill`;
      printFlag(options, await client.request<FlagSummary>('POST', path, parseArgs(killFlagBodySchema, { reason: flags.reason })));
    }),
  );

for (const [name, description] of [
  ['allow', 'pin tenants to the "on" variant (or --variant)'],
  ['deny', 'pin tenants to the "off" variant'],
  ['unpin', 'remove tenants from allow and deny lists'],
] as const) {
  const command = flags
    .command(name)
    .description(description)
    .argument('<key>', 'flag key')
    .requiredOption('--tenants <ids>', 'comma-separated tenant ids')
    .option('--reason <text>', 'why, for the audit trail');
  if (name === 'allow') command.option('--variant <name>', 'variant to grant (required for non-boolean flags)');
  command.action(
    action(async (client, options, key: string, flags: { tenants: string; variant?: string; reason?: string }) => {
      const path = `/admin/flags/${flagKey(key)}/${name}`;
      const tenants = tenantList(flags.tenants);
      const body =
        name === 'unpin'
          ? parseArgs(unpinFlagBodySchema, { tenants, reason: flags.reason })
          : parseArgs(flagTenantsBodySchema, { tenants, variant: flags.variant, reason: flags.reason });
      printFlag(options, await client.request<FlagSummary>('POST', path, body));
    }),
  );
}

flags
  .command('rollout')
  .description('serve the "on" variant (or --variant) to a sticky percentage of the remaining tenants')
  .argument('<key>', 'flag key')
  .requiredOption('--percent <n>', 'percentage of tenants, 0-100; raising it keeps everyone already in')
  .option('--variant <name>', 'variant to roll out (required for non-boolean flags)')
  .option('--reason <text>', 'why, for the audit trail')
  .action(
    action(async (client, options, key: string, flags: { percent: string; variant?: string; reason?: string }) => {
      const path = `/admin/flags/${flagKey(key)}/rollout`;
      const body = parseArgs(rolloutFlagBodySchema, { percent: Number(flags.percent), variant: flags.variant, reason: flags.reason });
      printFlag(options, await client.request<FlagSummary>('POST', path, body));
    }),
  );

flags
  .command('history')
  .description('the audit trail of a flag: who changed what, when and why (newest first)')
  .argument('<key>', 'flag key')
  .option('--limit <n>', 'entries (1-100)', '20')
  .action(
    action(async (client, options, key: string, flags: { limit: string }) => {
      const path = `/admin/flags/${flagKey(key)}/history`;
      const { limit } = parseArgs(flagHistoryQuerySchema, { limit: flags.limit });
      const { items } = await client.request<{
        items: { version: number; at: string; principal: string; action: string; reason?: string }[];
      }>('GET', `${path}?${new URLSearchParams({ limit: String(limit) })}`);
      emit(options.json === true, items, () => table(items, ['version', 'at', 'principal', 'action', 'reason']));
    }),
  );

flags
  .command('evaluate')
  .description('what a tenant gets from a flag right now (value, variant, reason), read fresh from the store')
  .argument('<key>', 'flag key')
  .requiredOption('--tenant <id>', 'tenant id')
  .action(
    action(async (client, options, key: string, flags: { tenant: string }) => {
      const { tenantId } = parseArgs(tenantPathSchema, { tenantId: flags.tenant });
      const result = await client.request<Record<string, unknown>>(
        'GET',
        `/admin/flags/${flagKey(key)}/evaluate?${new URLSearchParams({ tenant: tenantId })}`,
      );
      emit(options.json === true, result, () => keyValues(result));
    }),
  );

registerLlmCommands(program, action);
registerMoveCommands(program, action);
registerRepairCommands(program, action);
registerSearchCommands(program, action);

/** Anything but a usage error is a refused or failed call, unexpected ones included: one line, exit 1. */
function fail(error: unknown): void {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}

// What escapes a command (an error event on stdout, a rejection nobody awaited) ends the same way.
process.on('uncaughtException', (error) => {
  fail(error);
  process.exit();
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed the message (and the help); --help and --version end here too, with 0.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    fail(error);
  }
}
