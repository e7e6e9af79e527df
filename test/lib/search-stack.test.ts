// The search domain and the migration runner as CloudFormation: secure defaults, alarms, the state machine loop,
// and who may touch which index (grants per function, never the whole domain).
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SearchDomain } from '../../lib/constructs/search-domain.js';
import { App, Stack } from 'aws-cdk-lib';
import { testApp } from './headroom-test-app.js';
import { asArray, resourceOf, statementsOfRole, type Json } from './template-queries.js';
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

const { search, messaging, api } = testApp();
const domain = Template.fromStack(search);

describe('SearchStack', () => {
  it('creates an OpenSearch domain on a current engine with zone awareness, encryption, HTTPS only and logs', () => {
    domain.hasResourceProperties('AWS::OpenSearchService::Domain', {
      EngineVersion: Match.stringLikeRegexp('^OpenSearch_3\\.'),
      ClusterConfig: Match.objectLike({
        ZoneAwarenessEnabled: true,
        ZoneAwarenessConfig: { AvailabilityZoneCount: 2 },
        InstanceCount: 2,
        DedicatedMasterEnabled: true,
        DedicatedMasterCount: 3,
      }),
      EncryptionAtRestOptions: { Enabled: true },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' },
      LogPublishingOptions: Match.objectLike({
        SEARCH_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        INDEX_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        ES_APPLICATION_LOGS: Match.objectLike({ Enabled: true }),
      }),
      AdvancedOptions: Match.objectLike({ 'action.auto_create_index': 'false' }),
    });
    // No resource policy opens the domain: IAM identity policies are the only way in.
    const props = Object.values(domain.findResources('AWS::OpenSearchService::Domain'))[0]?.Properties as Json;
    expect(props.AccessPolicies).toBeUndefined();
  });

  it.each([
    ['ClusterStatus.red', 1, 'GreaterThanOrEqualToThreshold', 'breaching'],
    ['ClusterStatus.yellow', 1, 'GreaterThanOrEqualToThreshold', 'missing'],
    ['FreeStorageSpace', 20_480, 'LessThanOrEqualToThreshold', 'breaching'],
    ['JVMMemoryPressure', 80, 'GreaterThanOrEqualToThreshold', 'missing'],
    ['5xx', 5, 'GreaterThanOrEqualToThreshold', 'notBreaching'],
  ])('alarms on %s (threshold %s)', (metric, threshold, comparison, missing) => {
    domain.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: metric,
      Namespace: 'AWS/ES',
      Threshold: threshold,
      ComparisonOperator: comparison,
      TreatMissingData: missing,
    });
  });

  it('takes sizes from config and refuses data nodes that cannot spread over the zones', () => {
    const sized = testApp({ search: { dataNodes: 6, availabilityZones: 3, masterNodes: 0, volumeSizeGb: 500 } });
    Template.fromStack(sized.search).hasResourceProperties('AWS::OpenSearchService::Domain', {
      ClusterConfig: Match.objectLike({
        InstanceCount: 6,
        ZoneAwarenessConfig: { AvailabilityZoneCount: 3 },
        DedicatedMasterEnabled: false,
      }),
      EBSOptions: Match.objectLike({ VolumeSize: 500, VolumeType: 'gp3' }),
    });
    expect(() => testApp({ search: { dataNodes: 3, availabilityZones: 2 } })).toThrow(
      /must be a multiple of availabilityZones \(2\), got 3/,
    );
    expect(() => new SearchDomain(new Stack(new App(), 'S'), 'D', { ...sized.config.search, dataNodes: 4, availabilityZones: 3 })).toThrow(
      'search domain: 4 data nodes cannot spread evenly over 3 zones',
    );
  });
});

/** The search access policies a role attaches, by the policy construct they came from, as their statements. */
function searchAccessOf(stack: Stack, role: IConstruct): string[] {
  const props = resourceOf(stack, role).Properties as Json;
  const attached = JSON.stringify(props.ManagedPolicyArns ?? []);
  const policies = {
    SearchAccess: search.search.searchPolicy,
    IndexingAccess: search.search.indexingPolicy,
    HealthCheckAccess: search.search.healthCheckPolicy,
  };
  return Object.entries(policies)
    .filter(([, policy]) => attached.includes(search.getLogicalId(policy.node.defaultChild as CfnElement)))
    .map(([name]) => name)
    .sort();
}

const statementsOf = (policy: IConstruct) =>
  ((resourceOf(search, policy).Properties as Json).PolicyDocument.Statement as Json[]).map((statement) => ({
    actions: asArray(statement.Action as string | string[]),
    resources: JSON.stringify(statement.Resource),
  }));

describe('search access per function', () => {
  it('lets the job worker and the runner index, the search function only search, and no other function touch the domain', () => {
    expect(searchAccessOf(messaging, messaging.jobWorker.role)).toEqual(['IndexingAccess']);
    expect(searchAccessOf(messaging, messaging.migrationRunner.step.role)).toEqual(['HealthCheckAccess', 'IndexingAccess']);
    expect(searchAccessOf(api, api.functions.search.role)).toEqual(['SearchAccess']);
    expect(searchAccessOf(api, api.functions['admin-migrations'].role)).toEqual(['HealthCheckAccess']);
    for (const name of ['create-comment', 'list-conversations', 'admin-tenants'] as const)
      expect(searchAccessOf(api, api.functions[name].role)).toEqual([]);
  });

  it('scopes each policy to the generation indexes: search reads three endpoints, indexing never touches other indexes', () => {
    const [read] = statementsOf(search.search.searchPolicy);
    expect(read?.actions.sort()).toEqual(['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost']);
    for (const endpoint of ['_search', '_mget', '_count']) expect(read?.resources).toContain(`/headroom-conversations-*/${endpoint}`);
    const indexing = statementsOf(search.search.indexingPolicy);
    expect(indexing.flatMap((s) => s.actions)).toEqual(expect.arrayContaining(['es:ESHttpPut', 'es:ESHttpDelete', 'es:ESHttpPost']));
    expect(indexing.every((s) => s.resources.includes('/headroom-conversations-*') || s.resources.includes('/_bulk'))).toBe(true);
    const health = statementsOf(search.search.healthCheckPolicy);
    expect(health.flatMap((s) => s.actions).sort()).toEqual(['es:DescribeDomain', 'es:ESHttpGet']);
    expect(JSON.stringify(health.map((s) => s.resources))).toContain('_cluster/health');
  });
});

describe('MigrationRunner', () => {
  const template = Template.fromStack(messaging);
  const definition = () => {
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as Json;
    return JSON.stringify(machine.Properties.DefinitionString);
  };

  it('loops the step function until the migration is done, waiting as long as the step asks', () => {
    const text = definition();
    for (const state of ['Advance', 'Finished?', 'WaitForNextStep', 'PauseAfterError', 'ContinueAsNewExecution'])
      expect(text).toContain(state);
    expect(text).toContain('$.step.waitSeconds');
    expect(text).toContain('arn:aws:states:::states:startExecution');
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'HeadroomMessaging-migration-runner',
      TracingConfiguration: { Enabled: true },
    });
  });

  it('gives the step function five minutes and the grants backfills and moves need', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.absent(),
      Timeout: 300,
      Handler: 'index.handler',
      ReservedConcurrentExecutions: 10,
    });
    const statements = statementsOfRole(messaging, messaging.migrationRunner.step.role);
    const actions = statements.flatMap((s) => s.actions);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem']));
  });

  it('lets only the migrations and moves admins start it', () => {
    const starters = Object.entries(api.functions)
      .filter(([, fn]) => statementsOfRole(api, fn.role).some((s) => s.actions.includes('states:StartExecution')))
      .map(([name]) => name)
      .sort();
    expect(starters).toEqual(['admin-migrations', 'admin-moves']);
  });
});
