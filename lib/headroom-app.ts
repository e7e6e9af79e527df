// The whole Headroom app as stacks, shared by bin/app.ts and the tests so both synthesize the same wiring.
import type { App } from 'aws-cdk-lib';
import type { HeadroomConfig } from './config.js';
import { ApiStack } from './stacks/api-stack.js';
import { DataStack } from './stacks/data-stack.js';

/** Stack names are a contract: the CLI reads outputs by stack name, and renaming a stack recreates it. */
export const STACK_NAMES = { data: 'HeadroomData', api: 'HeadroomApi' } as const;

export interface HeadroomStacks {
  readonly data: DataStack;
  readonly api: ApiStack;
}

export function buildApp(app: App, config: HeadroomConfig): HeadroomStacks {
  const data = new DataStack(app, STACK_NAMES.data, {
    description: 'Headroom data: shard tables and the control table',
    shards: config.shards,
  });
  const api = new ApiStack(app, STACK_NAMES.api, {
    description: 'Headroom API: REST API, token authorizer and request functions',
    config,
    shards: data.shards,
    controlTable: data.controlTable,
  });
  return { data, api };
}
