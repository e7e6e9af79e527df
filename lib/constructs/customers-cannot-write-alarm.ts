// "Customers cannot write": the one alarm that pages, and the one that stops and rolls back releases. It fires
// when any heartbeat fires (conversations, comments, the synthetic canary's round trip), so on-call is paged by
// a customer outcome and never by the individual signals behind it, which carry no actions of their own.
import { AlarmRule, CompositeAlarm, type IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { alarmIdentity, type AlarmNaming } from '../alarm-names.js';
import type { HeartbeatAlarm } from './heartbeat-alarm.js';

export interface CustomersCannotWriteAlarmProps {
  readonly heartbeats: readonly HeartbeatAlarm[];
  /** Names it `headroom-<stage>-customers-cannot-write`; it links docs/runbooks/heartbeat-alarm.md. */
  readonly alarmNaming: AlarmNaming;
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
    // The name is what the pager shows and what the runbook tells people to look up.
    const { alarmName, alarmDescription } = alarmIdentity(
      props.alarmNaming,
      'customers-cannot-write',
      'Customers cannot create conversations or comments: a heartbeat is below its band or floor, or the synthetic ' + 'canary is failing.',
      'heartbeat-alarm',
    );
    this.alarm = new CompositeAlarm(this, 'Alarm', {
      compositeAlarmName: alarmName,
      alarmDescription,
      alarmRule: AlarmRule.anyOf(...props.heartbeats.map((heartbeat) => heartbeat.rule)),
    });
    if (props.action) {
      this.alarm.addAlarmAction(props.action);
      this.alarm.addOkAction(props.action);
    }
  }
}
