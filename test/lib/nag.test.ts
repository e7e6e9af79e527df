// cdk-nag 3 runs as a CDK validation plugin: findings fail synthesis and are reported in the validation report,
// not as construct annotations. So the app is checked two ways: synthesized exactly as bin/app.ts does it
// (plugin registered, synth must succeed), and scanned directly for the findings themselves.
import { Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeadLetterQueue } from '../../lib/constructs/dead-letter-queue.js';
import { describe, expect, it } from 'vitest';
import type { ConfigOverrides } from '../../lib/config.js';
import { testApp, type TestAppOptions } from './headroom-test-app.js';

const configs: [string, ConfigOverrides, TestAppOptions?][] = [
  ['the default config', {}],
  ['the trial profile (one search node in one zone, nothing retained)', {}, { profile: 'trial' }],
  ['a single shard', { shards: [{ name: 'shard-0' }] }],
  [
    'six shards, one dedicated and capped',
    {
      shards: [
        ...Array.from({ length: 5 }, (_, n) => ({ name: `shard-${n}` })),
        { name: 'shard-5', dedicatedTo: 'acme', maxWriteRequestUnits: 8000, maxReadRequestUnits: 24000 },
      ],
    },
  ],
  [
    'alarm subscriptions, no synthetic canary, a custom release canary',
    {
      operations: {
        canary: { enabled: false },
        deployment: { canaryPercent: 25, canaryMinutes: 10 },
        alarmSubscriptions: { emails: ['oncall@example.com'], httpsUrls: ['https://pager.example.com/hooks/headroom'] },
      },
    },
  ],
];

describe('cdk-nag AwsSolutions', () => {
  it.each(configs)('finds no unacknowledged error or warning with %s', (_name, overrides, options) => {
    const { app, data, messaging, api, alarms, operations } = testApp(overrides, options);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
    expect(() => app.synth()).not.toThrow();

    const { violations } = new AwsSolutionsChecks().validateScope(app);
    const found = (severity: string) =>
      violations.filter((v) => v.severity === severity).map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath)}`);
    expect(found('error')).toEqual([]);
    expect(found('warning')).toEqual([]);

    for (const stack of [data, messaging, api, alarms, operations]) {
      expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
      expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    }
  });

  it('fails synthesis on a finding nobody acknowledged', () => {
    const { app, api } = testApp();
    new Secret(api as Stack, 'UnrotatedSecret');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/rotation[\s\S]*UnrotatedSecret/);
  });

  it('acknowledges only these rules, each with a reason a reviewer can judge', () => {
    const { app } = testApp();
    const reasons = new Map<string, Set<string>>();
    for (const construct of app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          // cdk-nag's rules are acknowledged in the annotation namespace; cfn-guard's (policy-validation.test.ts) in their own.
          if (!/^annotation::/i.test(id)) continue;
          const rule = id.replace(/^annotation::/i, '');
          reasons.set(rule, (reasons.get(rule) ?? new Set()).add(reason));
        }
      }
    }
    expect([...reasons.keys()].sort()).toEqual(
      [
        'AwsSolutions-APIG3',
        'AwsSolutions-APIG4',
        'AwsSolutions-COG4',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
        'AwsSolutions-IAM5[Resource::*]',
        // One index per search generation, created at run time (lib/constructs/search-domain.ts).
        ...['', '/*', '/_search', '/_mget', '/_count'].map(
          (rest) => `AwsSolutions-IAM5[Resource::<SearchDomain62FD613E.Arn>/headroom-conversations-*${rest}]`,
        ),
        // Step Functions invoking the runner's step function and its versions (lib/constructs/migration-runner.ts).
        'AwsSolutions-IAM5[Resource::<migrationrunnerStepFunctionD6AD9E02.Arn>:*]',
        'AwsSolutions-OS1',
        'AwsSolutions-OS3',
        'AwsSolutions-OS4',
        'AwsSolutions-OS5',
        'AwsSolutions-L1',
        'AwsSolutions-SMG4',
        'AwsSolutions-SQS3',
      ].sort(),
    );
    for (const reason of [...reasons.values()].flatMap((set) => [...set])) expect(reason.length).toBeGreaterThan(60);
  });

  it('acknowledges SQS3 (no dead-letter queue) only on queues that are themselves dead-letter queues', () => {
    const { app, messaging } = testApp();
    const acknowledging = app.node
      .findAll()
      .filter((construct) =>
        construct.node.metadata.some(
          (entry) =>
            entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY &&
            Object.keys(entry.data).some((id) => id.endsWith('AwsSolutions-SQS3')),
        ),
      );
    expect(acknowledging.length).toBe(3);
    for (const construct of acknowledging) expect(construct).toBeInstanceOf(DeadLetterQueue);
    for (const queue of Object.values(messaging.jobQueues)) expect(acknowledging).not.toContain(queue.queue);
  });
});
