// A heartbeat alarm watches a customer-outcome count (conversations created per minute) and fires when it drops:
// below the anomaly-detection band CloudWatch learned for this hour and weekday, or below a static floor that
// holds whatever the band says (a band learned on a quiet night reaches zero, and zero is an outage). The count is
// FILLed with 0 so a minute with no successes is a low value rather than a gap, and missing data is breaching so a
// metric that stops being published at all pages too. Releases are gated by a separate alarm on the same floor
// whose missing data does not breach: a new stack has published nothing yet, and a gate that starts in ALARM would
// stop and roll back every deployment until the first heartbeat arrives.
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmRule,
  AnomalyDetectionAlarm,
  ComparisonOperator,
  MathExpression,
  Metric,
  TreatMissingData,
  type IAlarmRule,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_DIMENSION, type HeadroomMetric } from '../../lambdas/telemetry.js';
import { alarmIdentity, type AlarmNaming } from '../alarm-names.js';
import { acknowledgeControl, CONTROLS } from '../policy-validation.js';

/**
 * A count of the catalog published with no dimension but `service`: the only series a heartbeat can sum per period
 * (a metric with dimensions of its own has no series under `service` alone).
 */
export type HeartbeatCount = Extract<HeadroomMetric, { readonly unit: 'Count'; readonly dimensions: readonly [] }>;

export interface HeartbeatAlarmProps {
  /** The count it watches, e.g. `METRICS.conversationCreated`. */
  readonly metric: HeartbeatCount;
  /** The heartbeat in its alarms' names, e.g. `conversations`: `headroom-<stage>-heartbeat-conversations-below-floor`. */
  readonly name: string;
  /** The stage in its alarms' names and where their runbook (docs/runbooks/heartbeat-alarm.md) is read. */
  readonly alarmNaming: AlarmNaming;
  /** Fewer than this many per period breaches, whatever the band says. */
  readonly floor: number;
  /**
   * Width of the anomaly-detection band in standard deviations.
   * @default - no band: the floor alone (for a count with no daily rhythm, like the canary's successes)
   */
  readonly bandWidth?: number;
  /**
   * Length of one datapoint.
   * @default Duration.minutes(1)
   */
  readonly period?: Duration;
  /** Datapoints evaluated. */
  readonly evaluationPeriods: number;
  /**
   * How many of them must breach.
   * @default - all of them (evaluationPeriods)
   */
  readonly datapointsToAlarm?: number;
  /** What the alarm means for customers, for whoever reads the notification: a clause, without a full stop. */
  readonly description: string;
}

export class HeartbeatAlarm extends Construct {
  /** The raw count, summed per period. */
  readonly metric: Metric;
  /** The count with gaps filled with 0: what the alarms evaluate and the dashboard plots. */
  readonly filled: MathExpression;
  /** Fewer per period than this breaches. */
  readonly floor: number;
  readonly belowFloor: Alarm;
  readonly belowBand?: Alarm;
  /**
   * The floor again, for CodeDeploy deployment groups (which take metric alarms): in ALARM only once the heartbeat
   * has published and then drops below the floor. It pages nobody; the alarms above do.
   */
  readonly releaseGate: Alarm;
  /** Fires when any of this heartbeat's alarms fires: combine it into a composite alarm. */
  readonly rule: IAlarmRule;

  constructor(scope: Construct, id: string, props: HeartbeatAlarmProps) {
    super(scope, id);
    const datapointsToAlarm = props.datapointsToAlarm ?? props.evaluationPeriods;
    if (datapointsToAlarm > props.evaluationPeriods) {
      throw new Error(`a heartbeat cannot need ${datapointsToAlarm} breaching datapoints out of ${props.evaluationPeriods}`);
    }
    if (props.floor < 0) throw new Error(`a heartbeat floor cannot be negative, got ${props.floor}`);
    const metricName = props.metric.name;
    const period = props.period ?? Duration.minutes(1);
    this.floor = props.floor;

    this.metric = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { ...SERVICE_DIMENSION },
      statistic: 'Sum',
      period,
    });
    this.filled = new MathExpression({
      expression: 'FILL(m, 0)',
      usingMetrics: { m: this.metric },
      label: `${metricName} per ${period.toMinutes()} min`,
      period,
    });
    const per = `per ${period.toMinutes()} min`;
    const identity = (what: string, meaning: string) =>
      alarmIdentity(props.alarmNaming, `heartbeat-${props.name}-${what}`, meaning, 'heartbeat-alarm');
    const common = {
      evaluationPeriods: props.evaluationPeriods,
      datapointsToAlarm,
      treatMissingData: TreatMissingData.BREACHING,
    };

    this.belowFloor = new Alarm(this, 'BelowFloor', {
      ...common,
      ...identity('below-floor', `${props.description}: fewer than ${props.floor} ${metricName} ${per}.`),
      metric: this.filled,
      threshold: props.floor,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
    });
    if (props.bandWidth !== undefined) {
      this.belowBand = new AnomalyDetectionAlarm(this, 'BelowBand', {
        ...common,
        ...identity(
          'below-band',
          `${props.description}: ${metricName} is below its expected band (${props.bandWidth} standard deviations).`,
        ),
        metric: this.filled,
        stdDevs: props.bandWidth,
        comparisonOperator: ComparisonOperator.LESS_THAN_LOWER_THRESHOLD,
      });
    }
    // FILL has nothing to fill while the metric has no datapoint at all in the evaluated range, so the gate sees
    // missing data (OK) on a new stack and zeros (ALARM) once the heartbeat has started and then stops.
    this.releaseGate = new Alarm(this, 'ReleaseGate', {
      ...common,
      ...identity(
        'release-gate',
        `Release gate, pages nobody: fewer than ${props.floor} ${metricName} ${per} while the heartbeat is publishing, ` +
          'so CodeDeploy stops and rolls back every API release while it is in ALARM.',
      ),
      treatMissingData: TreatMissingData.NOT_BREACHING,
      metric: this.filled,
      threshold: props.floor,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
    });
    this.rule = this.belowBand ? AlarmRule.anyOf(this.belowFloor, this.belowBand) : this.belowFloor;
    acknowledgeControl(
      this,
      CONTROLS.alarmAction,
      'By design these alarms carry no actions: the floor and band alarms page through the customers-cannot-write ' +
        'composite (which notifies the alarm topic and the rollback action), so on-call gets one page per outage; the ' +
        'release gate is read by CodeDeploy deployment groups, which stop and roll back a release while it is in ALARM.',
    );
  }
}
