// Every alarm the app creates, in every stack, is one a person can read at 3 a.m.: a stable `headroom-<stage>-<what>`
// name, unique in the account and Region, and a description that ends with a link to a runbook that exists.
import { existsSync } from 'node:fs';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { alarmIdentity, alarmName, REPOSITORY_RUNBOOKS } from '../../lib/alarm-names.js';
import { resolveConfig, type ConfigOverrides } from '../../lib/config.js';
import { testApp, type TestApp, type TestAppOptions } from './headroom-test-app.js';
import { idOf, type Json } from './template-queries.js';

const ALARM_TYPES = ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm'];
const RUNBOOKS = new URL('../../docs/runbooks/', import.meta.url);
const PUBLISHED = 'https://github.example/acme/headroom/blob/main/docs/runbooks';

interface SynthesizedAlarm {
  readonly stack: Stack;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Json;
}

const stacksOf = ({ data, search, messaging, api, alarms, operations }: TestApp): Stack[] => [
  data,
  search,
  messaging,
  api,
  alarms,
  operations,
];

function alarmsOf(app: TestApp): SynthesizedAlarm[] {
  return stacksOf(app).flatMap((stack) =>
    Object.entries(Template.fromStack(stack).toJSON().Resources as Record<string, Json>)
      .filter(([, resource]) => ALARM_TYPES.includes(resource.Type))
      .map(([logicalId, resource]) => ({ stack, logicalId, type: resource.Type, properties: resource.Properties })),
  );
}

const configs: [string, ConfigOverrides, TestAppOptions?][] = [
  ['the default (production) config', {}],
  ['the trial profile', {}, { profile: 'trial' }],
  [
    'six shards, no synthetic canary, a stage of its own and runbooks published on the web',
    {
      shards: [
        ...Array.from({ length: 5 }, (_, n) => ({ name: `shard-${n}` })),
        { name: 'shard-5', dedicatedTo: 'acme', maxWriteRequestUnits: 8000, maxReadRequestUnits: 24000 },
      ],
      operations: { canary: { enabled: false }, alarms: { stage: 'eu-staging', runbookBaseUrl: PUBLISHED } },
    },
  ],
];

describe.each(configs)('every alarm with %s', (_name, overrides, options) => {
  const app = testApp(overrides, options);
  const { stage, runbookBaseUrl } = app.config.operations.alarms;
  const alarms = alarmsOf(app);
  const where = (alarm: SynthesizedAlarm) => `${alarm.stack.stackName}/${alarm.logicalId}`;

  it('covers the alarms of every stack that has any, composites included', () => {
    expect(alarms.length).toBeGreaterThan(40);
    const stacks = new Set(alarms.map((alarm) => alarm.stack.stackName));
    expect([...stacks].sort()).toEqual(['HeadroomAlarms', 'HeadroomApi', 'HeadroomMessaging', 'HeadroomSearch']);
    expect(alarms.filter((alarm) => alarm.type === 'AWS::CloudWatch::CompositeAlarm')).toHaveLength(1);
  });

  it(`is named headroom-<stage>-<what> in lowercase kebab case, with no generated part`, () => {
    const pattern = new RegExp(`^headroom-${stage}-[a-z0-9]+(-[a-z0-9]+)*$`);
    for (const alarm of alarms) {
      expect(alarm.properties.AlarmName, where(alarm)).toMatch(pattern);
      expect(alarm.properties.AlarmName.length, where(alarm)).toBeLessThanOrEqual(255);
    }
  });

  it('has a name no other alarm of the app has', () => {
    const names = alarms.map((alarm) => alarm.properties.AlarmName as string);
    const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
    expect(duplicates).toEqual([]);
  });

  it('says what it means and ends with a link to a runbook in docs/runbooks', () => {
    for (const alarm of alarms) {
      const description = alarm.properties.AlarmDescription;
      expect(typeof description, where(alarm)).toBe('string');
      expect(description.length, where(alarm)).toBeLessThanOrEqual(1024);
      const [, meaning, link] = /^(.{20,}\.) Runbook: (\S+)$/.exec(description) ?? [];
      expect(meaning, `${where(alarm)}: ${description}`).toBeDefined();
      expect(link!.startsWith(`${runbookBaseUrl}/`), `${where(alarm)}: ${link}`).toBe(true);
      const file = link!.slice(runbookBaseUrl.length + 1);
      expect(existsSync(new URL(file, RUNBOOKS)), `${where(alarm)} links ${file}, which is not in docs/runbooks`).toBe(true);
    }
  });
});

describe('alarm names in the default app', () => {
  const app = testApp();
  const alarms = alarmsOf(app);
  const byId = new Map(alarms.map((alarm) => [`${alarm.stack.stackName}/${alarm.logicalId}`, alarm]));

  it('are the same on every synth, whatever the number of shards (snapshot backstop)', () => {
    const names = alarms.map((alarm) => alarm.properties.AlarmName as string).sort();
    const sixShards = alarmsOf(testApp({ shards: Array.from({ length: 6 }, (_, n) => ({ name: `shard-${n}` })) }));
    expect(sixShards.map((alarm) => alarm.properties.AlarmName as string).sort()).toEqual(names);
    expect(names).toMatchSnapshot();
  });

  it('reach every CodeDeploy deployment group by reference to the named alarm, never by a copied string', () => {
    const outputs = Template.fromStack(app.alarms).toJSON().Outputs as Record<string, Json>;
    const referenced = (name: Json): SynthesizedAlarm | undefined => {
      if (name.Ref) return byId.get(`${app.api.stackName}/${name.Ref}`);
      const output = name['Fn::GetStackOutput'];
      if (output?.StackName !== app.alarms.stackName) return undefined;
      return byId.get(`${app.alarms.stackName}/${outputs[output.OutputName]?.Value.Ref}`);
    };
    const groups = Object.values(Template.fromStack(app.api).findResources('AWS::CodeDeploy::DeploymentGroup'));
    expect(groups).toHaveLength(Object.keys(app.api.functions).length);
    for (const group of groups) {
      const names = group.Properties.AlarmConfiguration.Alarms.map((alarm: Json) => alarm.Name as Json);
      expect(names).toHaveLength(2 + app.alarms.releaseGates.length);
      for (const name of names) expect(referenced(name)?.properties.AlarmName, JSON.stringify(name)).toMatch(/^headroom-prod-/);
    }
  });

  it('name the paging composite, the release gates and the version alarms after what they watch', () => {
    const nameOf = (stack: Stack, construct: Parameters<typeof idOf>[1]) =>
      byId.get(`${stack.stackName}/${idOf(stack, construct)}`)?.properties.AlarmName;
    expect(nameOf(app.alarms, app.alarms.customersCannotWrite.alarm)).toBe('headroom-prod-customers-cannot-write');
    expect(app.alarms.releaseGates.map((gate) => nameOf(app.alarms, gate))).toEqual([
      'headroom-prod-heartbeat-conversations-release-gate',
      'headroom-prod-heartbeat-comments-release-gate',
      'headroom-prod-heartbeat-canary-release-gate',
    ]);
    const { release } = app.api.functions['create-comment'];
    expect(nameOf(app.api, release.versionErrors)).toBe('headroom-prod-release-create-comment-errors');
    expect(nameOf(app.api, release.versionSuccessRatio)).toBe('headroom-prod-release-create-comment-success-rate');
    expect(nameOf(app.messaging, app.messaging.jobQueues.jobs.deadLetterQueue.messagesVisibleAlarm)).toBe(
      'headroom-prod-jobs-dlq-not-empty',
    );
  });
});

describe('alarmName and alarmIdentity', () => {
  const naming = { stage: 'prod', runbookBaseUrl: REPOSITORY_RUNBOOKS };

  it('builds headroom-<stage>-<what>, and a description that ends with the runbook link', () => {
    expect(alarmName('prod', 'release-search-errors')).toBe('headroom-prod-release-search-errors');
    expect(alarmIdentity(naming, 'search-cluster-red', 'Search is red.', 'search-domain')).toEqual({
      alarmName: 'headroom-prod-search-cluster-red',
      alarmDescription: 'Search is red. Runbook: docs/runbooks/search-domain.md',
    });
    expect(alarmIdentity({ ...naming, runbookBaseUrl: PUBLISHED }, 'x', 'X.', 'rollback').alarmDescription).toBe(
      `X. Runbook: ${PUBLISHED}/rollback.md`,
    );
  });

  it.each(['Release-Errors', 'release_errors', 'release errors', '', '-errors', 'release--errors'])(
    'refuses %j as a part of a name, showing it',
    (what) => {
      expect(() => alarmName('prod', what)).toThrow(`an alarm name part is lowercase words joined by dashes, got ${JSON.stringify(what)}`);
    },
  );

  it('refuses a name longer than CloudWatch takes and a description longer than it keeps', () => {
    expect(() => alarmName('prod', 'a'.repeat(245))).toThrow('alarm names are at most 255 characters, got 259');
    expect(alarmName('prod', 'a'.repeat(241))).toHaveLength(255);
    expect(() => alarmIdentity(naming, 'long', `${'x'.repeat(1000)}.`, 'rollback')).toThrow(
      'alarm descriptions are at most 1024 characters, got 1036 for long',
    );
  });
});

describe('operations.alarms config', () => {
  it('names alarms after the profile: prod by default, trial for the trial profile', () => {
    expect(resolveConfig().operations.alarms).toEqual({ stage: 'prod', runbookBaseUrl: 'docs/runbooks' });
    expect(testApp({}, { profile: 'trial' }).config.operations.alarms.stage).toBe('trial');
  });

  it.each([
    ['an uppercase stage', { stage: 'Prod' }, /lowercase letters and digits[\s\S]*operations\.alarms\.stage/],
    ['a stage with an underscore', { stage: 'eu_prod' }, /operations\.alarms\.stage/],
    ['a stage of 33 characters', { stage: 'a'.repeat(33) }, /operations\.alarms\.stage/],
    ['a plain-http runbook base', { runbookBaseUrl: 'http://wiki.example/runbooks' }, /an https:\/\/ URL[\s\S]*runbookBaseUrl/],
    ['a runbook base with a trailing slash', { runbookBaseUrl: `${PUBLISHED}/` }, /no trailing slash[\s\S]*runbookBaseUrl/],
  ])('refuses %s, naming the path', (_case, alarms, message) => {
    expect(() => resolveConfig({ operations: { alarms } })).toThrow(message);
  });
});
