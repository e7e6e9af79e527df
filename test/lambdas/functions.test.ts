// The function manifest is the one definition: the synthesized template and the embedded platform must agree with
// it on which functions exist, what triggers each, and which environment variables each is given.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_ONLY_VARIABLES } from '../../lambdas/function-environment.js';
import { FUNCTION_METADATA_KEY, FUNCTIONS, RESERVED_CONCURRENCY, type FunctionDefinition } from '../../lambdas/functions.js';
import { JOB_QUEUES } from '../../lambdas/queues.js';
import { ROUTES } from '../../lambdas/routes.js';
import { resolveConfig } from '../../lib/config.js';
import { startLocalPlatform, type LocalPlatform } from '../../local/embedded-platform.js';
import { testApp } from '../lib/headroom-test-app.js';

type Resource = { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, unknown> };
const { app: _app, ...stacks } = testApp();
const templates = Object.values(stacks)
  .filter((stack): stack is (typeof stacks)['api'] => typeof stack === 'object' && stack !== null && 'templateOptions' in stack)
  .map((stack) => Template.fromStack(stack).toJSON() as { Resources: Record<string, Resource> });
const resources = templates.flatMap((template) => Object.entries(template.Resources));
const mentions = (value: unknown, id: string) => JSON.stringify(value ?? null).includes(`"${id}"`);
const ofType = (type: string) => resources.filter(([, resource]) => resource.Type === type);

function synthesized(definition: FunctionDefinition): [string, Resource] {
  const found = ofType('AWS::Lambda::Function').filter(([, resource]) => resource.Metadata?.[FUNCTION_METADATA_KEY] === definition.name);
  expect(found, definition.name).toHaveLength(1);
  return found[0]!;
}

describe('the manifest and the synthesized app', () => {
  it('synthesizes exactly the functions of the manifest, each once', () => {
    const names = ofType('AWS::Lambda::Function').map(([, resource]) => resource.Metadata?.[FUNCTION_METADATA_KEY]);
    expect(names.sort()).toEqual(FUNCTIONS.map((definition) => definition.name).sort());
  });

  it.each(FUNCTIONS.map((definition) => [definition.name, definition] as const))(
    '%s is triggered as its row says, and only so',
    (_name, definition) => {
      const [id] = synthesized(definition);
      const aliases = ofType('AWS::Lambda::Alias')
        .filter(([, alias]) => mentions(alias.Properties?.FunctionName, id))
        .map(([aliasId]) => aliasId);
      const methods = ofType('AWS::ApiGateway::Method').filter(([, method]) =>
        aliases.some((alias) => mentions(method.Properties?.Integration, alias)),
      );
      const authorizers = ofType('AWS::ApiGateway::Authorizer').filter(([, authorizer]) =>
        aliases.some((alias) => mentions(authorizer.Properties, alias)),
      );
      const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(([, mapping]) => mentions(mapping.Properties?.FunctionName, id));
      const machines = ofType('AWS::StepFunctions::StateMachine').filter(([, machine]) =>
        mentions(machine.Properties?.DefinitionString, id),
      );
      const rules = ofType('AWS::Events::Rule').filter(([, rule]) => mentions(rule.Properties?.Targets, id));
      const shardTables = ofType('AWS::DynamoDB::Table').filter(([, table]) => table.Properties?.StreamSpecification);
      const { trigger } = definition;
      expect(methods.length, 'API methods').toBe(
        trigger.kind === 'api' ? ROUTES.filter((route) => route.handler === definition.name).length : 0,
      );
      expect(authorizers.length, 'authorizers').toBe(trigger.kind === 'authorizer' ? 1 : 0);
      expect(machines.length, 'state machines').toBe(trigger.kind === 'state-machine' ? 1 : 0);
      if (trigger.kind === 'shard-streams') {
        expect(mappings).toHaveLength(shardTables.length);
        // Cross-stack: the stream ARN arrives through an output named after the table.
        for (const [tableId] of shardTables)
          expect(
            mappings.some(([, m]) => JSON.stringify(m.Properties?.EventSourceArn).includes(tableId)),
            tableId,
          ).toBe(true);
      } else if (trigger.kind === 'queues') {
        expect(mappings).toHaveLength(trigger.queues.length);
      } else {
        expect(mappings, 'event source mappings').toHaveLength(0);
      }
      expect(
        rules.some(([, rule]) => rule.Properties?.ScheduleExpression),
        'schedule',
      ).toBe(trigger.kind === 'schedule');
      expect(
        rules.some(([, rule]) => rule.Properties?.EventPattern),
        'event rules',
      ).toBe(trigger.kind === 'events');
    },
  );

  it.each(FUNCTIONS.map((definition) => [definition.name, definition] as const))(
    '%s has its row’s timeout and memory',
    (_name, definition) => {
      const [, resource] = synthesized(definition);
      const config = resolveConfig();
      if (definition.name !== 'heartbeat-canary')
        expect(resource.Properties?.Timeout).toBe(definition.timeoutSeconds ?? config.runtime.timeoutSeconds);
      expect(resource.Properties?.MemorySize).toBe(definition.memoryMb ?? config.runtime.memoryMb);
      // Reservations are off by default: a new account's concurrency limit has no room for them.
      expect(resource.Properties?.ReservedConcurrentExecutions).toBeUndefined();
    },
  );

  it('refuses at synth to reserve more concurrency than the stated account limit leaves room for', () => {
    expect(() => resolveConfig({ runtime: { reserveConcurrency: true, accountConcurrencyLimit: 100 } })).toThrow(
      `reserving ${RESERVED_CONCURRENCY} executions needs an account concurrency limit of at least ${RESERVED_CONCURRENCY + 100}`,
    );
    expect(() =>
      resolveConfig({ runtime: { reserveConcurrency: true, accountConcurrencyLimit: RESERVED_CONCURRENCY + 100 } }),
    ).not.toThrow();
  });
});

describe('the manifest and the embedded platform', () => {
  let platform: LocalPlatform;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'headroom-manifest-'));
    platform = await startLocalPlatform({ dataDir, port: 0, demo: false });
  });
  afterAll(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs every function of the manifest except those whose row says why not', () => {
    expect(platform.functions.map((fn) => fn.name).sort()).toEqual(
      FUNCTIONS.filter((definition) => !definition.notEmbedded)
        .map((definition) => definition.name)
        .sort(),
    );
    expect(FUNCTIONS.filter((definition) => definition.notEmbedded).map((definition) => definition.name)).toEqual([
      'heartbeat-canary',
      'rollback-action',
    ]);
  });

  it('triggers them as on AWS: a relay and a replicator per shard stream, a poller per job queue', () => {
    const shards = resolveConfig().shards.length;
    expect(platform.streamSources).toHaveLength(shards);
    expect(platform.replicatorSources).toHaveLength(shards);
    expect(platform.jobSources).toHaveLength(JOB_QUEUES.length);
  });

  it.each(FUNCTIONS.filter((definition) => !definition.notEmbedded).map((definition) => [definition.name, definition] as const))(
    '%s gets the variables its template gives it (but for the AWS-only ones)',
    (_name, definition) => {
      const [, resource] = synthesized(definition);
      const onAws = Object.keys(resource.Properties?.Environment?.Variables ?? {}).flatMap((name) => {
        const local = AWS_ONLY_VARIABLES[name];
        return local === undefined ? [name] : local === null ? [] : [local];
      });
      const embedded = platform.functions.find((fn) => fn.name === definition.name)!;
      expect(Object.keys(embedded.environment).sort()).toEqual(onAws.sort());
    },
  );
});
