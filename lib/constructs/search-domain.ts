// The OpenSearch domain behind search, with secure defaults in one place: encryption at rest and node to node,
// HTTPS only (TLS 1.2+), zone awareness, slow and error logs, and IAM identity policies as the only way in (no
// open access policy): each function is granted exactly the index pattern it uses, and request bodies may not name
// another index (`rest.action.multi.allow_explicit_index: false`), so a grant on a pattern is the whole truth. Alarms
// cover what breaks search for customers: a red or yellow cluster, storage running out, JVM pressure and 5xx answers.
import { Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { EbsDeviceVolumeType } from 'aws-cdk-lib/aws-ec2';
import { ManagedPolicy, PolicyStatement, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { LogGroup, ResourcePolicy, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Domain, EngineVersion, TLSSecurityPolicy } from 'aws-cdk-lib/aws-opensearchservice';
import { Construct } from 'constructs';
import { alarmIdentity, type AlarmNaming } from '../alarm-names.js';
import { acknowledgeControl, acknowledgeLogGroup, CONTROLS } from '../policy-validation.js';

/** Every search generation is an index `<prefix>-<generation>`; grants cover this pattern only. */
export const SEARCH_INDEX_PREFIX = 'headroom-conversations';

export interface SearchDomainProps {
  readonly dataNodes: number;
  readonly dataNodeInstanceType: string;
  /** Dedicated cluster-manager nodes; 0 for none. */
  readonly masterNodes: number;
  readonly masterNodeInstanceType: string;
  readonly volumeSizeGb: number;
  /** 1 turns zone awareness off; 2 or 3 spread nodes and shard copies over that many zones. */
  readonly availabilityZones: 1 | 2 | 3;
  /**
   * Multi-AZ with standby (3 zones, 3n data nodes, 3 cluster-manager nodes).
   * @default false
   */
  readonly multiAzWithStandby?: boolean;
  readonly freeStorageAlarmMb: number;
  readonly jvmPressureAlarmPercent: number;
  /** Names its alarms `headroom-<stage>-search-<what>`; they link docs/runbooks/search-domain.md. */
  readonly alarmNaming: AlarmNaming;
  /**
   * Log retention of the slow and error logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the domain and its log groups when they leave the stack (or the stack is deleted).
   * @default RemovalPolicy.RETAIN: the indexes can be rebuilt from DynamoDB, but not in minutes
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The only keys CreateDomain accepts in AdvancedOptions
 * (https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_AdvancedOptionsStatus.html); anything
 * else, such as `action.auto_create_index`, fails the deploy.
 */
export const DOCUMENTED_ADVANCED_OPTIONS = [
  'rest.action.multi.allow_explicit_index',
  'indices.fielddata.cache.size',
  'indices.query.bool.max_clause_count',
  'override_main_response_version',
] as const;

export interface SearchDomainAlarms {
  readonly clusterRed: IAlarm;
  readonly clusterYellow: IAlarm;
  readonly freeStorage: IAlarm;
  readonly jvmPressure: IAlarm;
  readonly serverErrors: IAlarm;
}

export class SearchDomain extends Construct {
  readonly domain: Domain;
  readonly alarms: SearchDomainAlarms;
  /** Read the generations' search endpoints (`_search`, `_mget`, `_count`). */
  readonly searchPolicy: ManagedPolicy;
  /** Create, write, read and drop generations. */
  readonly indexingPolicy: ManagedPolicy;
  /** Domain status and cluster health, for migration pre-flight checks. */
  readonly healthCheckPolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: SearchDomainProps) {
    super(scope, id);
    if (props.dataNodes % props.availabilityZones !== 0)
      throw new Error(`search domain: ${props.dataNodes} data nodes cannot spread evenly over ${props.availabilityZones} zones`);
    const standby = props.multiAzWithStandby ?? false;
    if (standby && (props.availabilityZones !== 3 || props.dataNodes % 3 !== 0 || props.masterNodes !== 3))
      throw new Error(
        `search domain: multi-AZ with standby needs 3 zones, a multiple of 3 data nodes and 3 cluster-manager nodes, got ` +
          `${props.availabilityZones} zones, ${props.dataNodes} data nodes, ${props.masterNodes} cluster-manager nodes`,
      );
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const log = (name: string) => new LogGroup(this, name, { retention, removalPolicy });
    const logGroups = { slowSearch: log('SlowSearchLogs'), slowIndex: log('SlowIndexLogs'), errors: log('ErrorLogs') };
    for (const group of Object.values(logGroups)) acknowledgeLogGroup(group, 'Search slow and error logs');
    // The service writes the logs under this resource policy; written here rather than by CDK's custom resource,
    // which would add a Lambda function with a managed policy and wildcard permissions to the stack.
    const logPolicy = new ResourcePolicy(this, 'LogDelivery', {
      policyStatements: [
        new PolicyStatement({
          principals: [new ServicePrincipal('es.amazonaws.com')],
          actions: ['logs:PutLogEvents', 'logs:CreateLogStream'],
          resources: Object.values(logGroups).map((group) => group.logGroupArn),
        }),
      ],
    });

    this.domain = new Domain(this, 'Domain', {
      version: EngineVersion.OPENSEARCH_3_7,
      capacity: {
        dataNodes: props.dataNodes,
        dataNodeInstanceType: props.dataNodeInstanceType,
        ...(props.masterNodes > 0 ? { masterNodes: props.masterNodes, masterNodeInstanceType: props.masterNodeInstanceType } : {}),
        // Explicit, so cdk.json's `enableOpensearchMultiAzWithStandby` flag can never turn standby on for a layout
        // CreateDomain refuses (it did: 2 zones, 2 data nodes).
        multiAzWithStandbyEnabled: standby,
      },
      ebs: { volumeSize: props.volumeSizeGb, volumeType: EbsDeviceVolumeType.GP3 },
      zoneAwareness: props.availabilityZones === 1 ? { enabled: false } : { enabled: true, availabilityZoneCount: props.availabilityZones },
      encryptionAtRest: { enabled: true },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: TLSSecurityPolicy.TLS_1_2,
      logging: {
        slowSearchLogEnabled: true,
        slowSearchLogGroup: logGroups.slowSearch,
        slowIndexLogEnabled: true,
        slowIndexLogGroup: logGroups.slowIndex,
        appLogEnabled: true,
        appLogGroup: logGroups.errors,
      },
      suppressLogsResourcePolicy: true,
      // With explicit indexes allowed, a `_bulk` or `_mget` body could name any index and the index-scoped grants
      // below would mean nothing. (A dropped generation is kept from being re-created by the indexer's writes with
      // the cluster setting `action.auto_create_index`, which the adapter applies; see opensearch-search-index.ts.)
      advancedOptions: { 'rest.action.multi.allow_explicit_index': 'false' },
      removalPolicy,
    });
    // CreateDomain checks that the log groups' resource policy lets the service write, so the policy must exist
    // first; CDK orders that only for the policy it writes itself, which suppressLogsResourcePolicy turns off.
    this.domain.node.addDependency(logPolicy);

    Validations.of(this.domain).acknowledge(
      {
        id: 'AwsSolutions-OS1',
        reason:
          'Access is IAM-only: the domain has no access policy, and each function holds an identity policy for the ' +
          'headroom-conversations-* indexes alone. VPC placement adds no control over who may call it, and would ' +
          'put every search and indexing function in the VPC.',
      },
      {
        id: 'AwsSolutions-OS3',
        reason: 'No IP allow-list: callers are Lambda functions with changing addresses, authenticated by SigV4 and authorised by IAM.',
      },
      {
        id: 'AwsSolutions-OS5',
        reason:
          'Anonymous access is impossible: there is no resource policy, so every request must be SigV4-signed by a principal with an identity policy.',
      },
      {
        id: 'AwsSolutions-OS4',
        reason:
          'Dedicated cluster-manager nodes are configured through `search.masterNodes` (3 by default); the one-node ' +
          'trial profile sets 0, where a node that is its own cluster manager is the whole cluster anyway.',
      },
    );
    if (props.availabilityZones === 1) {
      Validations.of(this.domain).acknowledge({
        id: 'AwsSolutions-OS7',
        reason:
          'One zone only where `search.availabilityZones` is 1: the throwaway trial profile, one node with no replicas, ' +
          'where zone awareness has nothing to spread. Production uses 2 zones (3 with standby).',
      });
    }

    this.acknowledgeControls(props);

    ({ search: this.searchPolicy, indexing: this.indexingPolicy, healthCheck: this.healthCheckPolicy } = this.accessPolicies());

    const alarm = (name: string, props_: ConstructorParameters<typeof Alarm>[2]) => new Alarm(this, name, props_);
    const identity = (what: string, meaning: string) => alarmIdentity(props.alarmNaming, `search-${what}`, meaning, 'search-domain');
    const minute = Duration.minutes(1);
    this.alarms = {
      clusterRed: alarm('ClusterRed', {
        ...identity('cluster-red', 'Search cluster is red: at least one primary shard is unassigned, so some searches and writes fail.'),
        metric: this.domain.metricClusterStatusRed({ period: minute, statistic: 'Maximum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.BREACHING,
      }),
      clusterYellow: alarm('ClusterYellow', {
        ...identity('cluster-yellow', 'Search cluster is yellow: replicas are unassigned, one node loss away from red.'),
        metric: this.domain.metricClusterStatusYellow({ period: minute, statistic: 'Maximum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 5,
        treatMissingData: TreatMissingData.MISSING,
      }),
      freeStorage: alarm('FreeStorage', {
        ...identity(
          'free-storage',
          `A search node has less than ${props.freeStorageAlarmMb} MB free; at the flood stage indexes turn read-only.`,
        ),
        metric: this.domain.metricFreeStorageSpace({ period: minute, statistic: 'Minimum' }),
        threshold: props.freeStorageAlarmMb,
        comparisonOperator: ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.BREACHING,
      }),
      jvmPressure: alarm('JvmPressure', {
        ...identity(
          'jvm-pressure',
          `Search JVM memory pressure above ${props.jvmPressureAlarmPercent} %: requests will be rejected and nodes may crash.`,
        ),
        metric: this.domain.metricJVMMemoryPressure({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: props.jvmPressureAlarmPercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: TreatMissingData.MISSING,
      }),
      serverErrors: alarm('ServerErrors', {
        ...identity('server-errors', 'The search domain answers 5xx: searches or indexing are failing.'),
        metric: this.domain.metric('5xx', { period: minute, statistic: 'Sum' }),
        threshold: 5,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    };
  }

  /** Control Tower findings this domain's design accepts: the same decisions as the AwsSolutions-OS acknowledgements. */
  private acknowledgeControls(props: SearchDomainProps): void {
    acknowledgeControl(
      this.domain,
      CONTROLS.openSearchInVpc,
      'Access is IAM-only: there is no access policy, every request must be SigV4-signed by a role whose identity ' +
        'policy names the headroom-conversations-* indexes, and TLS 1.2 is enforced. A VPC would add no control over ' +
        'who may call, and would put every search and indexing function in the VPC (NAT or endpoints per zone).',
    );
    const fineGrained =
      'Fine-grained access control would move authorisation into the cluster: every function role mapped to an ' +
      'OpenSearch role in its security index at run time, a second permission system beside the IAM policies that ' +
      'are reviewed here in code. Authorisation stays IAM-only (per-role index patterns and endpoints).';
    acknowledgeControl(this.domain, CONTROLS.openSearchFineGrainedAccess, fineGrained);
    acknowledgeControl(
      this.domain,
      CONTROLS.openSearchAuditLogs,
      `Audit logs exist only with fine-grained access control, which is off (see CT.OPENSEARCH.PR.15): ${fineGrained} ` +
        'Who may call what is fixed by IAM policies in this repository; slow and error logs are published.',
    );
    if (props.dataNodes < 3 || props.availabilityZones === 1) {
      acknowledgeControl(
        this.domain,
        CONTROLS.openSearchDataNodeFaultTolerance,
        `${props.dataNodes} data node(s) in ${props.availabilityZones} zone(s), from search.dataNodes and ` +
          'search.availabilityZones: production runs 2 nodes in 2 zones with a replica of every shard (a node or a ' +
          'zone can go; search is derived data, rebuilt from DynamoDB by a migration), the trial profile 1 node in ' +
          '1 zone. Set 3 nodes in 3 zones (or multi-AZ with standby) where search must survive more.',
      );
    }
  }

  /** The public search function: read endpoints only. */
  grantSearch(role: IRole): void {
    role.addManagedPolicy(this.searchPolicy);
  }

  /** The indexer and the migration runner: write, read and drop generations. */
  grantIndexing(role: IRole): void {
    role.addManagedPolicy(this.indexingPolicy);
  }

  /** The migration pre-flight: domain status and cluster health. */
  grantHealthCheck(role: IRole): void {
    role.addManagedPolicy(this.healthCheckPolicy);
  }

  /**
   * The access policies live here, next to the domain, so their index pattern (one index per generation, created
   * at run time, hence a wildcard) is reviewed once; functions in other stacks attach them.
   */
  private accessPolicies(): { search: ManagedPolicy; indexing: ManagedPolicy; healthCheck: ManagedPolicy } {
    const arn = this.domain.domainArn;
    const pattern = `${arn}/${SEARCH_INDEX_PREFIX}-*`;
    const managed = (id: string, description: string, statements: PolicyStatement[]) =>
      new ManagedPolicy(this, id, { description, statements });
    const search = managed('SearchAccess', 'Headroom: search the conversation indexes', [
      // The client sends queries with a body as POST: POST is allowed on exactly these read endpoints.
      new PolicyStatement({
        actions: ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost'],
        resources: ['_search', '_mget', '_count'].map((endpoint) => `${pattern}/${endpoint}`),
      }),
    ]);
    const indexing = managed('IndexingAccess', 'Headroom: write, read and drop conversation index generations', [
      // Bulk writes go to `<index>/_bulk` (no index inside the body: the domain refuses one), covered here.
      new PolicyStatement({
        actions: ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpPut', 'es:ESHttpDelete'],
        resources: [pattern, `${pattern}/*`],
      }),
      // Writes to a dropped generation must fail, not re-create it: the adapter turns `action.auto_create_index`
      // off for the generation indexes before it creates one. The service accepts only a short list of cluster
      // settings here (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/supported-operations.html):
      // limits, slow-log levels and auto-creation, none of which reads documents; a role that may drop every generation could
      // already do worse.
      new PolicyStatement({ actions: ['es:ESHttpPut'], resources: [`${arn}/_cluster/settings`] }),
    ]);
    const healthCheck = managed('HealthCheckAccess', 'Headroom: search domain status and cluster health', [
      new PolicyStatement({ actions: ['es:DescribeDomain'], resources: [arn] }),
      new PolicyStatement({ actions: ['es:ESHttpGet'], resources: [`${arn}/_cluster/health`] }),
    ]);
    const domainArn = `<${Stack.of(this).getLogicalId(this.domain.node.defaultChild as CfnElement)}.Arn>`;
    for (const policy of [search, indexing]) {
      Validations.of(policy).acknowledge(
        ...[
          `${domainArn}/${SEARCH_INDEX_PREFIX}-*`,
          `${domainArn}/${SEARCH_INDEX_PREFIX}-*/*`,
          ...['_search', '_mget', '_count'].map((e) => `${domainArn}/${SEARCH_INDEX_PREFIX}-*/${e}`),
        ].map((resource) => ({
          id: `AwsSolutions-IAM5[Resource::${resource}]`,
          reason:
            'Every search generation is its own index, created at run time by a migration (headroom-conversations-g1, -g2, …); the ' +
            'pattern covers exactly those indexes of this one domain and nothing else on it.',
        })),
      );
    }
    return { search, indexing, healthCheck };
  }
}
