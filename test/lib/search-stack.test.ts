// The search domain and the migration runner as CloudFormation: secure defaults, alarms, the state machine loop,
// and who may touch which index (grants per function, never the whole domain).
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DOCUMENTED_ADVANCED_OPTIONS, SearchDomain } from '../../lib/constructs/search-domain.js';
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
        // Explicit: cdk.json's enableOpensearchMultiAzWithStandby flag would otherwise turn standby on for 2 zones.
        MultiAZWithStandbyEnabled: false,
      }),
      EncryptionAtRestOptions: { Enabled: true },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' },
      LogPublishingOptions: Match.objectLike({
        SEARCH_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        INDEX_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        ES_APPLICATION_LOGS: Match.objectLike({ Enabled: true }),
      }),
      // Bodies of _bulk and _mget may not name an index, so the index-scoped grants are the whole truth.
      AdvancedOptions: { 'rest.action.multi.allow_explicit_index': 'false' },
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
    const searchProps = { ...sized.config.search, alarmNaming: sized.config.operations.alarms };
    expect(() => testApp({ search: { dataNodes: 3, availabilityZones: 2 } })).toThrow(
      /must be a multiple of availabilityZones \(2\), got 3/,
    );
    expect(() => new SearchDomain(new Stack(new App(), 'S'), 'D', { ...searchProps, dataNodes: 4, availabilityZones: 3 })).toThrow(
      'search domain: 4 data nodes cannot spread evenly over 3 zones',
    );
    expect(() => new SearchDomain(new Stack(new App(), 'S'), 'D', { ...searchProps, multiAzWithStandby: true, masterNodes: 0 })).toThrow(
      'search domain: multi-AZ with standby needs 3 zones, a multiple of 3 data nodes and 3 cluster-manager nodes, got 3 zones, 6 data nodes, 0 cluster-manager nodes',
    );
  });

  it('sets only the AdvancedOptions CreateDomain documents', () => {
    const options = Object.values(domain.findResources('AWS::OpenSearchService::Domain'))[0]?.Properties.AdvancedOptions as Json;
    expect(Object.keys(options).length).toBeGreaterThan(0);
    for (const key of Object.keys(options)) expect(DOCUMENTED_ADVANCED_OPTIONS).toContain(key);
  });

  it('turns multi-AZ with standby on only when asked, with 3 zones, 3 data nodes and 3 cluster managers', () => {
    const standby = testApp({ search: { multiAzWithStandby: true, availabilityZones: 3, dataNodes: 3, indexReplicas: 2 } });
    Template.fromStack(standby.search).hasResourceProperties('AWS::OpenSearchService::Domain', {
      ClusterConfig: Match.objectLike({
        MultiAZWithStandbyEnabled: true,
        InstanceCount: 3,
        ZoneAwarenessConfig: { AvailabilityZoneCount: 3 },
        DedicatedMasterCount: 3,
      }),
    });
  });

  it('creates the domain only after the log resource policy CreateDomain checks', () => {
    const [policyId] = Object.keys(domain.findResources('AWS::Logs::ResourcePolicy'));
    const [resource] = Object.values(domain.findResources('AWS::OpenSearchService::Domain'));
    expect(policyId).toBeDefined();
    expect(resource?.DependsOn).toContain(policyId);
  });

  it('retains the domain and its logs by default, and the trial profile runs one small node in one zone that goes with its stack', () => {
    expect(Object.values(domain.findResources('AWS::OpenSearchService::Domain'))[0]?.DeletionPolicy).toBe('Retain');
    for (const group of Object.values(domain.findResources('AWS::Logs::LogGroup'))) expect(group.DeletionPolicy).toBe('Retain');

    const trial = Template.fromStack(testApp({}, { profile: 'trial' }).search);
    const [resource] = Object.values(trial.findResources('AWS::OpenSearchService::Domain'));
    expect(resource?.DeletionPolicy).toBe('Delete');
    expect(resource?.Properties.ClusterConfig).toEqual({
      InstanceCount: 1,
      InstanceType: 't3.small.search',
      DedicatedMasterEnabled: false,
      MultiAZWithStandbyEnabled: false,
      ZoneAwarenessEnabled: false,
    });
    expect(resource?.Properties.EBSOptions).toMatchObject({ VolumeSize: 10, VolumeType: 'gp3' });
    for (const group of Object.values(trial.findResources('AWS::Logs::LogGroup'))) expect(group.DeletionPolicy).toBe('Delete');
    trial.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'FreeStorageSpace', Threshold: 2048 });
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
    // Bulk goes to <index>/_bulk (covered by the pattern): nothing is granted on the domain-wide _bulk endpoint.
    expect(indexing.some((s) => s.resources.includes('/_bulk'))).toBe(false);
    const [generations, settings, ...rest] = indexing;
    expect(generations?.resources).toContain('/headroom-conversations-*/*');
    // Auto-creation is switched off for the generation indexes through the cluster settings API, and nothing else.
    expect(settings).toEqual({ actions: ['es:ESHttpPut'], resources: expect.stringContaining('/_cluster/settings') });
    expect(rest).toEqual([]);
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
    // The service integration ARN carries the partition (cdk.json targets aws and aws-cn).
    expect(text).not.toContain('arn:aws:');
    expect(text).toContain('"arn:",{"Ref":"AWS::Partition"},":states:::states:startExecution');
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
      // Reservations apply only with runtime.reserveConcurrency (off by default; messaging-stack.test.ts covers it).
      ReservedConcurrentExecutions: Match.absent(),
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
