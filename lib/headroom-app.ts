// The whole Headroom app as stacks, shared by bin/app.ts and the tests so both synthesize the same wiring.
// Dependencies run one way: data ← search ← messaging ← api, with alarms (what pages, which releases are gated on)
// below api and operations (dashboard, canary, rollback action) above it; messaging's alarms notify alarms' topic.
import type { App } from 'aws-cdk-lib';
import type { HeadroomConfig } from './config.js';
import { AlarmsStack } from './stacks/alarms-stack.js';
import { ApiStack } from './stacks/api-stack.js';
import { DataStack } from './stacks/data-stack.js';
import { MessagingStack } from './stacks/messaging-stack.js';
import { OperationsStack } from './stacks/operations-stack.js';
import { SearchStack } from './stacks/search-stack.js';
import { removalPolicyOf } from './removal-policy.js';
import { shardTablePrefix, STACK_NAMES } from './stack-names.js';

export interface HeadroomStacks {
  readonly data: DataStack;
  readonly search: SearchStack;
  readonly messaging: MessagingStack;
  readonly api: ApiStack;
  readonly alarms: AlarmsStack;
  readonly operations: OperationsStack;
}

export function buildApp(app: App, config: HeadroomConfig): HeadroomStacks {
  const data = new DataStack(app, STACK_NAMES.data, {
    description: 'Headroom data: shard tables and the control table',
    shards: config.shards,
    shardTablePrefix: shardTablePrefix(config.operations.alarms.stage),
    removalPolicy: removalPolicyOf(config),
  });
  const search = new SearchStack(app, STACK_NAMES.search, {
    description: 'Headroom search: the OpenSearch domain (one index per generation, routed by tenant) and its alarms',
    config,
  });
  const messaging = new MessagingStack(app, STACK_NAMES.messaging, {
    description: 'Headroom messaging: change relay, fair job queues with dead-letter queues, job consumers, queue alarms',
    config,
    shards: data.shards,
    controlTable: data.controlTable,
    search: search.search,
  });
  // Every alarm the async path and the search domain expose pages through the alarm topic, including ones added later.
  const queueAlarms = Object.values(messaging.alarms).flat();
  const alarms = new AlarmsStack(app, STACK_NAMES.alarms, {
    description: 'Headroom alarms: the alarm topic, heartbeat alarms and the customers-cannot-write composite',
    config,
    notify: [...queueAlarms, ...Object.values(search.search.alarms)],
  });
  const api = new ApiStack(app, STACK_NAMES.api, {
    description: 'Headroom API: REST API, token authorizer and request functions',
    config,
    shards: data.shards,
    controlTable: data.controlTable,
    jobQueues: messaging.jobQueues,
    search: search.search,
    migrationRunner: messaging.migrationRunner,
    releaseGates: alarms.releaseGates,
  });
  const { jobs, 'jobs-overflow': overflow } = messaging.jobQueues;
  const operations = new OperationsStack(app, STACK_NAMES.operations, {
    description: 'Headroom operations: dashboard, synthetic canary tenant, rollback action, tenant Contributor Insights',
    config,
    alarms,
    gateway: api.gateway,
    apiFunctions: Object.values(api.functions),
    shards: data.shards,
    controlTable: data.controlTable,
    mainQueue: jobs.queue,
    overflowQueue: overflow.queue,
    deadLetterQueues: [
      { name: jobs.definition.deadLetterQueue, queue: jobs.deadLetterQueue },
      { name: overflow.definition.deadLetterQueue, queue: overflow.deadLetterQueue },
      { name: 'relay-failed-batches', queue: messaging.relay.failedBatches },
    ],
    queueAlarms,
    jobLogs: [messaging.jobWorker.logGroup],
  });
  return { data, search, messaging, api, alarms, operations };
}
