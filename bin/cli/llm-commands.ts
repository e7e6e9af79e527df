// `headroom llm …`: the LLM routing layer as operators see it. `routes` shows each route's state (breaker, EWMA
// latency and time to first token, in-flight requests, recent errors) as the admin function's instance sees it;
// `drain` and `restore` take a route out of rotation on every instance and put it back.
import type { Command } from 'commander';
import * as z from 'zod';
import { routeIdSchema } from '../../lambdas/core/llm/llm-settings.js';
import type { RouteStatus } from '../../lambdas/core/llm/llm-router.js';
import type { RouteDrain } from '../../lambdas/core/llm/route-drains.js';
import type { AdminClient } from './admin-client.js';
import { UsageError } from './arguments.js';
import { emit, table } from './output.js';

interface Options {
  readonly json?: boolean;
}

/** The CLI's action wrapper (connects, passes global options); bin/headroom.ts supplies it. */
export type Action = <A extends unknown[]>(
  run: (client: AdminClient, options: Options, ...args: A) => Promise<void>,
) => (...args: unknown[]) => Promise<void>;

const routeId = (raw: string) => {
  const parsed = z.strictObject({ routeId: routeIdSchema }).safeParse({ routeId: raw });
  if (!parsed.success)
    throw new UsageError(`Invalid route id ${JSON.stringify(raw)}: ${parsed.error.issues[0]?.message}. See \`headroom llm routes\`.`);
  return parsed.data.routeId;
};

const ROUTE_COLUMNS = [
  'route',
  'provider',
  'model',
  'region',
  'lanes',
  'drained',
  'breaker',
  'ewmaLatencyMs',
  'ewmaFirstTokenMs',
  'inFlight',
  'served',
  'failures',
  'lastError',
];

export function registerLlmCommands(program: Command, action: Action): void {
  const llm = program.command('llm').description('AI model routes: state, latency, breakers; drain and restore');

  llm
    .command('routes')
    .description('every route: breaker state, EWMA latency and time to first token, in-flight requests, recent errors')
    .action(
      action(async (client, options) => {
        const status = await client.request<{ items: RouteStatus[]; retryBalance: number }>('GET', '/admin/llm/routes');
        emit(options.json === true, status, () =>
          [
            table(
              status.items.map((route) => {
                const last = route.recentErrors.at(-1);
                return {
                  ...route,
                  lanes: route.lanes.join(','),
                  inFlight: `${route.inFlight.interactive}/${route.inFlight.background}`,
                  lastError: last ? `${last.at} ${last.kind}: ${last.message.slice(0, 60)}` : null,
                };
              }),
              ROUTE_COLUMNS,
            ),
            '',
            `retry budget: ${status.retryBalance.toFixed(1)} retries available (in-flight is interactive/background; numbers are this instance's view)`,
          ].join('\n'),
        );
      }),
    );

  for (const [name, description] of [
    ['drain', 'take a route out of rotation on every instance (within the cache period, 15 s by default)'],
    ['restore', 'put a drained route back into rotation'],
  ] as const) {
    llm
      .command(name)
      .description(description)
      .argument(
        '<route>',
        'route id, as `headroom llm routes` lists it: sim-openai or sim-bedrock on `npm start`, the llm.routes keys on AWS',
      )
      .option('--reason <text>', 'why, for the record')
      .action(
        action(async (client, options, raw: string, flags: { reason?: string }) => {
          const drain = await client.request<RouteDrain>(
            'POST',
            `/admin/llm/routes/${routeId(raw)}/${name}`,
            flags.reason ? { reason: flags.reason } : {},
          );
          emit(options.json === true, drain, () =>
            drain.drained
              ? `Route ${drain.route} drained; watch traffic move with \`headroom llm routes\`. Undo with \`headroom llm restore ${drain.route}\`.`
              : `Route ${drain.route} restored.`,
          );
        }),
      );
  }
}
