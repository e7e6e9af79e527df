// The whole Headroom app as stacks, shared by bin/app.ts and the tests so both synthesize the same wiring.
// Dependencies run one way: data ← messaging ← api.
import type { App } from 'aws-cdk-lib';
import type { HeadroomConfig } from './config.js';
import { ApiStack } from './stacks/api-stack.js';
import { DataStack } from './stacks/data-stack.js';
import { MessagingStack } from './stacks/messaging-stack.js';
import { STACK_NAMES } from './stack-names.js';

export interface HeadroomStacks {
  readonly data: DataStack;
  readonly messaging: MessagingStack;
  readonly api: ApiStack;
}

export function buildApp(app: App, config: HeadroomConfig): HeadroomStacks {
  const data = new DataStack(app, STACK_NAMES.data, {
    description: 'Headroom data: shard tables and the control table',
    shards: config.shards,
  });
  const messaging = new MessagingStack(app, STACK_NAMES.messaging, {
    description: 'Headroom messaging: change relay, fair job queues with dead-letter queues, job consumers, queue alarms',
    config,
    shards: data.shards,
    controlTable: data.controlTable,
  });
  const api = new ApiStack(app, STACK_NAMES.api, {
    description: 'Headroom API: REST API, token authorizer and request functions',
    config,
    shards: data.shards,
    controlTable: data.controlTable,
    jobQueues: messaging.jobQueues,
  });
  return { data, messaging, api };
}
