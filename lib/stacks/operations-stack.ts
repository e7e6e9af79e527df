// Operating Headroom on AWS, above the API: the on-call dashboard, the synthetic canary tenant that calls the
// public API every minute, the rollback action that moves a recent release back when customers cannot write,
// and Contributor Insights rules that rank tenants by requests, errors and jobs. What pages lives one stack
// below the API (alarms-stack.ts); this stack only reads it.
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ILogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ROUTES } from '../../lambdas/routes.js';
import { functionRuntimeDefaults, type HeadroomConfig } from '../config.js';
import { removalPolicyOf } from '../removal-policy.js';
import type { ApiFunction } from '../constructs/api-function.js';
import type { GatewayApi } from '../constructs/gateway-api.js';
import { OperationsDashboard } from '../constructs/operations-dashboard.js';
import { RollbackAction } from '../constructs/rollback-action.js';
import type { ShardedTable } from '../constructs/sharded-table.js';
import { SyntheticCanary } from '../constructs/synthetic-canary.js';
import { TenantContributorInsights } from '../constructs/tenant-contributor-insights.js';
import type { AlarmsStack } from './alarms-stack.js';

export interface OperationsStackProps extends StackProps {
  readonly config: HeadroomConfig;
  readonly alarms: AlarmsStack;
  readonly gateway: GatewayApi;
  /** The API functions released through CodeDeploy: the rollback action may move their aliases back. */
  readonly apiFunctions: readonly ApiFunction[];
  readonly shards: ShardedTable;
  readonly controlTable: ITable;
  readonly mainQueue: IQueue;
  readonly overflowQueue: IQueue;
  readonly deadLetterQueues: readonly { readonly name: string; readonly queue: IQueue }[];
  /** Alarms of the async path, shown on the dashboard next to the paging alarm. */
  readonly queueAlarms: readonly IAlarm[];
  /** Log groups of the job consumers (their `job applied` lines). */
  readonly jobLogs: readonly ILogGroup[];
}

export class OperationsStack extends Stack {
  readonly dashboard: OperationsDashboard;
  readonly canary?: SyntheticCanary;
  readonly rollbackAction: RollbackAction;
  readonly contributorInsights: TenantContributorInsights;

  constructor(scope: Construct, id: string, props: OperationsStackProps) {
    super(scope, id, props);
    const { config, alarms } = props;
    const { heartbeat, canary, deployment } = config.operations;
    const logRetention = config.logRetentionDays as RetentionDays;
    const cannotWrite = alarms.customersCannotWrite.alarm;

    if (canary.enabled) {
      this.canary = new SyntheticCanary(this, 'Canary', {
        apiUrl: props.gateway.url,
        every: Duration.minutes(canary.everyMinutes),
        deadline: Duration.seconds(canary.deadlineSeconds),
        awaitSearch: canary.awaitSearch,
        retention: Duration.hours(canary.retentionHours),
        logRetention,
        runtime: functionRuntimeDefaults(config),
        logRemovalPolicy: removalPolicyOf(config),
      });
    }

    this.rollbackAction = new RollbackAction(this, 'RollbackAction', {
      trigger: cannotWrite,
      releases: props.apiFunctions.map(({ release }) => ({ alias: release.alias, deploymentGroup: release.deploymentGroup })),
      controlTable: props.controlTable,
      windowMinutes: deployment.rollbackWindowMinutes,
      logRetention,
      runtime: functionRuntimeDefaults(config),
      logRemovalPolicy: removalPolicyOf(config),
    });

    this.contributorInsights = new TenantContributorInsights(this, 'TenantInsights', {
      accessLogs: props.gateway.accessLogs,
      jobLogs: props.jobLogs,
    });

    const { conversations, comments, canary: canaryHeartbeat } = alarms.heartbeats;
    this.dashboard = new OperationsDashboard(this, 'Dashboard', {
      heartbeats: [
        { label: 'Conversations created', heartbeat: conversations, bandWidth: heartbeat.bandWidth },
        { label: 'Comments created', heartbeat: comments, bandWidth: heartbeat.bandWidth },
        ...(canaryHeartbeat ? [{ label: 'Canary runs succeeded', heartbeat: canaryHeartbeat }] : []),
      ],
      alarms: [cannotWrite, ...props.queueAlarms],
      restApi: props.gateway.restApi,
      routes: ROUTES,
      shardTables: props.shards.shards,
      mainQueue: props.mainQueue,
      overflowQueue: props.overflowQueue,
      deadLetterQueues: props.deadLetterQueues,
    });
  }
}
