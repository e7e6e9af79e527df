// "Customers cannot write": the one alarm that pages, and the one that stops and rolls back releases. It fires
// when any heartbeat fires (conversations, comments, the synthetic canary's round trip), so on-call is paged by
// a customer outcome and never by the individual signals behind it, which carry no actions of their own.
import { Stack } from 'aws-cdk-lib';
import { AlarmRule, CompositeAlarm, type IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { HeartbeatAlarm } from './heartbeat-alarm.js';

export interface CustomersCannotWriteAlarmProps {
  readonly heartbeats: readonly HeartbeatAlarm[];
  /**
   * Notified when the alarm fires and when it clears.
   * @default - no notification
   */
  readonly action?: IAlarmAction;
}

export class CustomersCannotWriteAlarm extends Construct {
  readonly alarm: CompositeAlarm;

  constructor(scope: Construct, id: string, props: CustomersCannotWriteAlarmProps) {
    super(scope, id);
    if (props.heartbeats.length === 0) throw new Error('customers-cannot-write needs at least one heartbeat, got none');
    this.alarm = new CompositeAlarm(this, 'Alarm', {
      // A stable, readable name: it is what the pager shows and what the runbook tells people to look up.
      compositeAlarmName: `${Stack.of(this).stackName}-CustomersCannotWrite`,
      alarmDescription:
        'Customers cannot create conversations or comments (heartbeat below its band or floor, or the synthetic canary ' +
        'failing). Runbook: docs/runbooks/heartbeat-alarm.md',
      alarmRule: AlarmRule.anyOf(...props.heartbeats.map((heartbeat) => heartbeat.rule)),
    });
    if (props.action) {
      this.alarm.addAlarmAction(props.action);
      this.alarm.addOkAction(props.action);
    }
  }
}
