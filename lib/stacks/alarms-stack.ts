// What pages on-call: the alarm topic, the heartbeat alarms, and "customers cannot write", the composite that pages
// (and drives the rollback action). Releases are gated on the heartbeats' release-gate metric alarms instead:
// CodeDeploy deployment groups take metric alarms, not composites. It sits below the API stack (it alarms on metric
// names, not on API resources), so the API's deployment groups can depend on the gates without a cycle; the
// dashboard, the canary and the rollback action, which need the API, live in the operations stack above it.
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Alarm, AlarmBase } from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { METRICS } from '../../lambdas/telemetry.js';
import type { HeadroomConfig } from '../config.js';
import { AlarmTopic } from '../constructs/alarm-topic.js';
import { CustomersCannotWriteAlarm } from '../constructs/customers-cannot-write-alarm.js';
import { HeartbeatAlarm, type HeartbeatCount } from '../constructs/heartbeat-alarm.js';
import { removalPolicyOf } from '../removal-policy.js';

export interface AlarmsStackProps extends StackProps {
  readonly config: HeadroomConfig;
  /**
   * Alarms of other stacks that notify the same topic (the async path's queue and dead-letter alarms).
   * @default - none
   */
  readonly notify?: readonly AlarmBase[];
}

export interface Heartbeats {
  readonly conversations: HeartbeatAlarm;
  readonly comments: HeartbeatAlarm;
  /** Present when the synthetic canary is enabled. */
  readonly canary?: HeartbeatAlarm;
}

export class AlarmsStack extends Stack {
  readonly topic: AlarmTopic;
  readonly heartbeats: Heartbeats;
  readonly customersCannotWrite: CustomersCannotWriteAlarm;
  /** One metric alarm per heartbeat that stops and rolls back API releases (see HeartbeatAlarm.releaseGate). */
  readonly releaseGates: readonly Alarm[];

  constructor(scope: Construct, id: string, props: AlarmsStackProps) {
    super(scope, id, props);
    const { heartbeat, canary, alarms: alarmNaming, alarmSubscriptions } = props.config.operations;

    this.topic = new AlarmTopic(this, 'Topic', {
      emails: alarmSubscriptions.emails,
      httpsUrls: alarmSubscriptions.httpsUrls,
      removalPolicy: removalPolicyOf(props.config),
    });

    const customerHeartbeat = (id: string, metric: HeartbeatCount, floor: number, what: string) =>
      new HeartbeatAlarm(this, id, {
        metric,
        name: what,
        alarmNaming,
        floor,
        bandWidth: heartbeat.bandWidth,
        evaluationPeriods: heartbeat.evaluationMinutes,
        datapointsToAlarm: heartbeat.breachingMinutes,
        description: `Customers are creating fewer ${what} than expected`,
      });
    this.heartbeats = {
      conversations: customerHeartbeat(
        'ConversationsHeartbeat',
        METRICS.conversationCreated,
        heartbeat.conversationsFloorPerMinute,
        'conversations',
      ),
      comments: customerHeartbeat('CommentsHeartbeat', METRICS.commentCreated, heartbeat.commentsFloorPerMinute, 'comments'),
      // The canary succeeds once per run, so its count has no daily rhythm to learn: a floor of one run per period.
      ...(canary.enabled
        ? {
            canary: new HeartbeatAlarm(this, 'CanaryHeartbeat', {
              metric: METRICS.canarySuccess,
              name: 'canary',
              alarmNaming,
              floor: 1,
              period: Duration.minutes(canary.everyMinutes),
              evaluationPeriods: canary.failedRunsToAlarm,
              description: 'The synthetic canary tenant cannot complete create conversation → add comment → searchable',
            }),
          }
        : {}),
    };

    this.customersCannotWrite = new CustomersCannotWriteAlarm(this, 'CustomersCannotWrite', {
      heartbeats: Object.values(this.heartbeats),
      alarmNaming,
      action: this.topic.action,
    });
    this.releaseGates = Object.values(this.heartbeats).map((heartbeat) => heartbeat.releaseGate);
    this.topic.notifyOn(...(props.notify ?? []));
  }
}
