#!/usr/bin/env -S node --import tsx
// `npx headroom …`: the operator CLI. It speaks only to the admin API, so the local platform and a deployed stack
// are driven the same way. Arguments are validated with the same schemas the API uses before anything is sent.
import { Command, Option } from 'commander';
import type { z } from 'zod';
import { createTenantSchema, tenantPathSchema, type TenantView } from '../lambdas/core/api-contract.js';
import { TIERS } from '../lambdas/environment.js';
import { CliError, connect, DEFAULT_ENDPOINT, type AdminClient } from './cli/admin-client.js';
import { emit, keyValues, table } from './cli/output.js';

interface GlobalOptions {
  readonly json?: boolean;
  readonly endpoint?: string;
  readonly stack?: string;
  readonly region?: string;
}

function parseArgs<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || 'value'}: ${issue.message}`).join('\n');
  throw new CliError(`Invalid arguments:\n${problems}\nSee --help for the expected form.`);
}

const TENANT_COLUMNS = ['id', 'shard', 'tier', 'group', 'status', 'epoch', 'createdAt'];

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command()
  .name('headroom')
  .description('Operate a Headroom platform (local `npm start` or a deployed stack) through its admin API.')
  .version('0.1.0')
  .addOption(new Option('--json', 'print JSON instead of tables'))
  .addOption(new Option('--endpoint <url>', 'admin API base URL').default(DEFAULT_ENDPOINT).conflicts('stack'))
  .addOption(new Option('--stack <name>', 'deployed API stack name: endpoint from its outputs, calls signed with SigV4'))
  .addOption(new Option('--region <region>', 'AWS region of --stack (default: from your AWS config)'))
  .showHelpAfterError()
  .configureOutput({ outputError: (message, write) => write(message) });

function action<A extends unknown[]>(run: (client: AdminClient, options: GlobalOptions, ...args: A) => Promise<void>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const options = command.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
    const client = await connect({
      endpoint: options.endpoint,
      ...(options.stack ? { stack: options.stack } : {}),
      ...(options.region ? { region: options.region } : {}),
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
  .action(
    action(async (client, options, id: string, flags: { group?: string; tier?: string; shard?: string }) => {
      const input = parseArgs(createTenantSchema, { id, group: flags.group, tier: flags.tier, shard: flags.shard });
      const result = await client.request<{ tenant: TenantView; token: string }>('POST', '/admin/tenants', input);
      emit(options.json === true, result, () => `${keyValues({ ...result.tenant })}\n\nAPI token (shown once): ${result.token}`);
    }),
  );

tenants
  .command('list')
  .description('list tenants with their placement')
  .option('--limit <n>', 'tenants per page (1-1000)', '100')
  .option('--cursor <cursor>', 'continue from a previous page')
  .action(
    action(async (client, options, flags: { limit: string; cursor?: string }) => {
      const query = new URLSearchParams({ limit: flags.limit, ...(flags.cursor ? { cursor: flags.cursor } : {}) });
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
      const result = await client.request<{ tenant: TenantView; token: string }>('POST', `/admin/tenants/${tenantId}/tokens`);
      emit(options.json === true, result, () => `New API token for ${tenantId} (shown once): ${result.token}`);
    }),
  );

program
  .command('status')
  .description('platform status: shards and their tenants')
  .action(
    action(async (client, options) => {
      const status = await client.request<{ tenants: number; shards: { name: string; dedicatedTo: string | null; tenants: number }[] }>(
        'GET',
        '/admin/status',
      );
      emit(options.json === true, { endpoint: client.endpoint, ...status }, () =>
        [`endpoint  ${client.endpoint}`, `tenants   ${status.tenants}`, '', table(status.shards, ['name', 'dedicatedTo', 'tenants'])].join(
          '\n',
        ),
      );
    }),
  );

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof CliError ? 1 : 2;
}
