// The derived-data reconciler on AWS: the `repair` function on an EventBridge schedule (every 15 minutes), each run
// continuing the current pass for its timeout at the configured items per second, so a pass never needs a
// longer-lived worker and a failed run only delays it. It pages when a pass leaves a tenant divergent that the
// previous pass also left divergent: one pass can meet a change in flight, two in a row is data that stays wrong.
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { METRICS, METRICS_NAMESPACE, SERVICE_DIMENSION } from '../../lambdas/telemetry.js';
import { alarmIdentity, type AlarmNaming } from '../alarm-names.js';
import { HandlerFunction, type HandlerFunctionProps } from './handler-function.js';

/** Above the function's timeout (lambdas/functions.ts REPAIR_TIMEOUT_SECONDS, a test holds it): one run at a time. */
export const REPAIR_SCHEDULE_MINUTES = 15;

export interface DerivedDataRepairProps extends Omit<HandlerFunctionProps, 'handler'> {
  /** Names its alarm `headroom-<stage>-derived-data-divergent`. */
  readonly alarmNaming: AlarmNaming;
  /** The views whose persistent divergence pages (one metric per view). */
  readonly views: readonly string[];
}

export class DerivedDataRepair extends Construct {
  readonly function: HandlerFunction;
  readonly schedule: Rule;
  /** A tenant stayed divergent across two passes of a view. */
  readonly divergentAlarm: Alarm;

  constructor(scope: Construct, id: string, props: DerivedDataRepairProps) {
    super(scope, id);
    const { alarmNaming, views, ...functionProps } = props;
    if (views.length === 0) throw new Error('derived-data repair needs at least one view, got none');
    this.function = new HandlerFunction(this, 'Function', { ...functionProps, handler: 'repair' });

    this.schedule = new Rule(this, 'Schedule', {
      description: 'Headroom derived-data repair: continues the current pass, or starts the next when it is due',
      schedule: Schedule.rate(Duration.minutes(REPAIR_SCHEDULE_MINUTES)),
      // A missed run is picked up by the next one; retrying would only overlap it.
      targets: [new LambdaFunction(this.function.lambda, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });

    const persistent = METRICS.derivedDataDivergencePersistent;
    const metric = (view: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: persistent.name,
        dimensionsMap: { ...SERVICE_DIMENSION, view },
        statistic: 'Maximum',
        period: Duration.minutes(5),
      });
    const usingMetrics = Object.fromEntries(views.map((view) => [view, metric(view)]));
    this.divergentAlarm = new Alarm(this, 'Divergent', {
      ...alarmIdentity(
        alarmNaming,
        'derived-data-divergent',
        'Derived data (search documents or usage counters) of at least one tenant still differs from the source of ' +
          'truth after two repair passes in a row: customers may see wrong search results or usage.',
        'derived-data-repair',
      ),
      metric:
        views.length === 1
          ? (usingMetrics[views[0] as string] as Metric)
          : new MathExpression({
              expression: `MAX([${views.join(', ')}])`,
              usingMetrics,
              period: Duration.minutes(5),
            }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // Passes end when they end, not every period: between them the alarm keeps the state the last pass gave it.
      treatMissingData: TreatMissingData.IGNORE,
    });
  }
}
