// cfn-guard's Control Tower rules run as a CDK validation plugin, registered as bin/app.ts registers them: the whole
// app must synthesize with no finding left, and every finding accepted carries its reason beside its construct. The
// report CDK writes into the cloud assembly says which rules were accepted, on which kinds of resource.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProfileName } from '../../lib/config.js';
import { CFN_GUARD_PLUGIN, CONTROLS, controlTowerValidator } from '../../lib/policy-validation.js';
import { testApp } from './headroom-test-app.js';

interface Violation {
  readonly ruleName: string;
  readonly reason?: string;
  readonly acknowledgedAt?: string;
  readonly violatingConstructs: readonly { readonly constructPath: string; readonly constructFqn: string }[];
}

interface PluginReport {
  readonly pluginName: string;
  readonly conclusion: string;
  readonly violations: readonly Violation[];
  readonly suppressedViolations?: readonly Violation[];
}

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

function guardReport(outdir: string): PluginReport {
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: PluginReport[] };
  const guard = report.pluginReports.find((plugin) => plugin.pluginName === CFN_GUARD_PLUGIN);
  expect(guard).toBeDefined();
  return guard!;
}

/** What each accepted rule may be accepted on: a rule acknowledged on any other kind of resource is a mistake. */
const ACCEPTED_ON: Readonly<Record<string, readonly string[]>> = {
  [CONTROLS.alarmAction]: ['aws-cdk-lib.aws_cloudwatch.CfnAlarm'],
  [CONTROLS.logRetention]: ['aws-cdk-lib.aws_logs.CfnLogGroup'],
  [CONTROLS.logEncryption]: ['aws-cdk-lib.aws_logs.CfnLogGroup'],
  [CONTROLS.lambdaInVpc]: ['aws-cdk-lib.aws_lambda.CfnFunction'],
  [CONTROLS.lambdaPublicAccess]: ['aws-cdk-lib.aws_lambda.CfnPermission'],
  [CONTROLS.sqsDeadLetterQueue]: ['aws-cdk-lib.aws_sqs.CfnQueue'],
  [CONTROLS.openSearchInVpc]: ['aws-cdk-lib.aws_opensearchservice.CfnDomain'],
  [CONTROLS.openSearchAuditLogs]: ['aws-cdk-lib.aws_opensearchservice.CfnDomain'],
  [CONTROLS.openSearchFineGrainedAccess]: ['aws-cdk-lib.aws_opensearchservice.CfnDomain'],
  [CONTROLS.openSearchDataNodeFaultTolerance]: ['aws-cdk-lib.aws_opensearchservice.CfnDomain'],
};

describe('cfn-guard Control Tower rules', () => {
  it.each<[string, ProfileName]>([
    ['production', 'production'],
    ['trial', 'trial'],
  ])(
    'pass for the whole app with the %s profile, each accepted finding acknowledged beside its construct with a reason',
    (_name, profile) => {
      const outdir = mkdtempSync(join(tmpdir(), 'headroom-guard-'));
      outdirs.push(outdir);
      const { app } = testApp({}, { profile, outdir });
      Validations.of(app).addPlugins(controlTowerValidator());
      expect(() => app.synth()).not.toThrow();

      const guard = guardReport(outdir);
      expect(guard.conclusion).toBe('success');
      expect(guard.violations).toEqual([]);
      const accepted = guard.suppressedViolations ?? [];
      expect(new Set(accepted.map((v) => v.ruleName))).toEqual(new Set(Object.keys(ACCEPTED_ON)));
      for (const violation of accepted) {
        expect(violation.reason?.length).toBeGreaterThan(100);
        for (const resource of violation.violatingConstructs) {
          expect(ACCEPTED_ON[violation.ruleName]).toContain(resource.constructFqn);
          expect(resource.constructPath.startsWith(`${violation.acknowledgedAt}/`)).toBe(true);
        }
      }
    },
    120_000,
  );

  it('fails synthesis on a finding nobody acknowledged', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'headroom-guard-'));
    outdirs.push(outdir);
    const app = new App({ outdir });
    new Queue(new Stack(app, 'Bare'), 'NoDeadLetters', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true });
    Validations.of(app).addPlugins(controlTowerValidator());
    expect(() => app.synth()).toThrow(/CT\.SQS\.PR\.1[\s\S]*Bare\/NoDeadLetters/);
    const guard = guardReport(outdir);
    expect(guard.violations.map((v) => v.ruleName)).toContain(CONTROLS.sqsDeadLetterQueue);
  });
});
