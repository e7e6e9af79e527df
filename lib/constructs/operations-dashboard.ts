// The on-call dashboard, top to bottom in the order an incident is read: are customers succeeding (heartbeats
// against their bands, the canary's round trip, the paging alarms), is the API answering (4xx, 5xx and p99 per
// route), is the data layer throttling, is background work flowing fairly (quiet-group age, noisy groups,
// overflow, dead letters), and what is in flight (indexer lag, migrations, rollbacks). Every metric is one the
// runtime (its catalog, lambdas/telemetry.ts) or an AWS service actually emits; the runtime's metrics beyond the
// heartbeats are found with SEARCH, so every series (one per tier, migration or function) shows up.
import { Duration, Stack } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  type IAlarm,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS, METRICS_NAMESPACE, SERVICE_DIMENSION, type HeadroomMetric } from '../../lambdas/telemetry.js';
import type { HeartbeatAlarm } from './heartbeat-alarm.js';

export interface DashboardRoute {
  readonly method: string;
  readonly path: string;
}

export interface OperationsDashboardProps {
  /** Heartbeats plotted against their anomaly band (when they have one) and floor. */
  readonly heartbeats: readonly { readonly label: string; readonly heartbeat: HeartbeatAlarm; readonly bandWidth?: number }[];
  /** Alarms shown as a status strip at the top (the paging alarm first). */
  readonly alarms: readonly IAlarm[];
  readonly restApi: RestApi;
  readonly routes: readonly DashboardRoute[];
  readonly shardTables: readonly { readonly name: string; readonly table: ITable }[];
  /** The main fair queue (quiet-group age, noisy groups). */
  readonly mainQueue: IQueue;
  readonly overflowQueue: IQueue;
  readonly deadLetterQueues: readonly { readonly name: string; readonly queue: IQueue }[];
}

const MINUTE = Duration.minutes(1);
const WIDE = 24;
const THIRD = 8;
const HALF = 12;
const HEIGHT = 6;

/** Every series of a Headroom metric, whatever its dimension values (tiers, migrations, functions). */
const searchHeadroom = (metric: HeadroomMetric, statistic: string, label: string) =>
  new MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE}} MetricName="${metric.name}"', '${statistic}', 60)`,
    label,
    period: MINUTE,
  });

export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    if (props.routes.length === 0) throw new Error('an operations dashboard needs at least one route, got none');
    const api = props.restApi;
    const stage = api.deploymentStage.stageName;

    const routeMetric = (route: DashboardRoute, metricName: string, statistic: string) =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiName: api.restApiName, Method: route.method, Resource: route.path, Stage: stage },
        statistic,
        period: MINUTE,
        label: `${route.method} ${route.path}`,
      });
    const perRoute = (title: string, metricName: string, statistic: string, unit: string): GraphWidget =>
      new GraphWidget({
        title,
        width: THIRD,
        height: HEIGHT,
        left: props.routes.map((route) => routeMetric(route, metricName, statistic)),
        leftYAxis: { label: unit, showUnits: false, min: 0 },
      });

    const heartbeatWidgets = props.heartbeats.map(({ label, heartbeat, bandWidth }) => {
      const series: IMetric[] = [heartbeat.filled];
      if (bandWidth !== undefined) {
        series.push(
          new MathExpression({
            expression: `ANOMALY_DETECTION_BAND(m, ${bandWidth})`,
            usingMetrics: { m: heartbeat.metric },
            label: `expected band (${bandWidth} sd)`,
            period: MINUTE,
          }),
        );
      }
      return new GraphWidget({
        title: `${label} per minute vs band and floor`,
        width: THIRD,
        height: HEIGHT,
        left: series,
        leftAnnotations: [{ value: heartbeat.floor, label: 'floor' }],
        leftYAxis: { min: 0 },
      });
    });

    const canaryMetric = (metric: HeadroomMetric, statistic: string, label: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: metric.name,
        dimensionsMap: { ...SERVICE_DIMENSION },
        statistic,
        period: MINUTE,
        label,
      });

    const widgets: IWidget[][] = [
      [
        new TextWidget({
          markdown:
            '# Headroom operations\nPaged by **customers cannot write** (heartbeats below band or floor, or the canary failing). ' +
            'Runbooks: `docs/runbooks/heartbeat-alarm.md`, `docs/runbooks/rollback.md`.',
          width: WIDE,
          height: 2,
        }),
      ],
      [new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: WIDE, height: 3 })],
      heartbeatWidgets,
      [
        new GraphWidget({
          title: 'Canary round trip (create → searchable)',
          width: HALF,
          height: HEIGHT,
          left: [canaryMetric(METRICS.canaryRoundTripMs, 'p50', 'p50 ms'), canaryMetric(METRICS.canaryRoundTripMs, 'p99', 'p99 ms')],
          leftYAxis: { min: 0, label: 'ms', showUnits: false },
        }),
        new GraphWidget({
          title: 'Canary runs: succeeded vs ran',
          width: HALF,
          height: HEIGHT,
          left: [canaryMetric(METRICS.canarySuccess, 'Sum', 'succeeded'), canaryMetric(METRICS.canarySuccess, 'SampleCount', 'ran')],
          leftYAxis: { min: 0 },
        }),
      ],
      [
        perRoute('API 5XX by route', '5XXError', 'Sum', 'count'),
        perRoute('API 4XX by route', '4XXError', 'Sum', 'count'),
        perRoute('API p99 latency by route', 'Latency', 'p99', 'ms'),
      ],
      [
        new GraphWidget({
          title: 'Shard throttles (read + write events)',
          width: HALF,
          height: HEIGHT,
          left: props.shardTables.flatMap(({ name, table }) => [
            table.metric('WriteThrottleEvents', { statistic: 'Sum', period: MINUTE, label: `${name} write` }),
            table.metric('ReadThrottleEvents', { statistic: 'Sum', period: MINUTE, label: `${name} read` }),
          ]),
          leftYAxis: { min: 0 },
        }),
        new GraphWidget({
          title: 'Jobs overflowed by tier',
          width: HALF,
          height: HEIGHT,
          left: [searchHeadroom(METRICS.jobsOverflowed, 'Sum', '')],
          leftYAxis: { min: 0 },
        }),
      ],
      [
        new GraphWidget({
          title: 'Quiet-group age (main queue)',
          width: THIRD,
          height: HEIGHT,
          left: [
            props.mainQueue.metric('ApproximateAgeOfOldestMessageInQuietGroups', {
              statistic: 'Maximum',
              period: MINUTE,
              label: 'oldest quiet-group job (s)',
            }),
          ],
          leftYAxis: { min: 0, label: 's', showUnits: false },
        }),
        new GraphWidget({
          title: 'Noisy groups (main queue)',
          width: THIRD,
          height: HEIGHT,
          left: [props.mainQueue.metric('ApproximateNumberOfNoisyGroups', { statistic: 'Maximum', period: MINUTE, label: 'noisy groups' })],
          leftYAxis: { min: 0 },
        }),
        new GraphWidget({
          title: 'Overflow queue depth and age',
          width: THIRD,
          height: HEIGHT,
          left: [props.overflowQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: MINUTE, label: 'visible' })],
          right: [props.overflowQueue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: MINUTE, label: 'oldest (s)' })],
          leftYAxis: { min: 0 },
          rightYAxis: { min: 0 },
        }),
      ],
      [
        new GraphWidget({
          title: 'Dead-letter queues (visible messages)',
          width: THIRD,
          height: HEIGHT,
          left: props.deadLetterQueues.map(({ name, queue }) =>
            queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: MINUTE, label: name }),
          ),
          leftYAxis: { min: 0 },
        }),
        new GraphWidget({
          title: 'Indexer lag (commit → searchable)',
          width: THIRD,
          height: HEIGHT,
          left: [searchHeadroom(METRICS.indexerLagSeconds, 'Maximum', '')],
          leftYAxis: { min: 0, label: 's', showUnits: false },
        }),
        new GraphWidget({
          title: 'Migrations: tenants cut over of total',
          width: THIRD,
          height: HEIGHT,
          left: [
            searchHeadroom(METRICS.migrationTenantsCutOver, 'Maximum', ''),
            searchHeadroom(METRICS.migrationTenantsTotal, 'Maximum', ''),
          ],
          leftYAxis: { min: 0 },
        }),
      ],
      [
        new GraphWidget({
          title: 'Releases rolled back by the rollback action',
          width: WIDE,
          height: 4,
          left: [searchHeadroom(METRICS.releaseRolledBack, 'Sum', '')],
          leftYAxis: { min: 0 },
        }),
      ],
    ];

    // Named after the stack, so the CLI and the runbooks can point straight at it.
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: Stack.of(this).stackName,
      widgets: widgets.filter((row) => row.length > 0),
    });
  }
}
