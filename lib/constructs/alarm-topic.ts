// The one SNS topic every Headroom alarm notifies. It is encrypted with its own KMS key because CloudWatch cannot
// publish to a topic under the AWS-managed SNS key (that key's policy cannot be changed to let CloudWatch in),
// and it refuses publishes that are not over TLS.
import { Stack } from 'aws-cdk-lib';
import type { AlarmBase, IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, UrlSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /**
   * Email addresses subscribed to every alarm (each must confirm the subscription AWS mails it).
   * @default - none
   */
  readonly emails?: readonly string[];
  /**
   * HTTPS endpoints (a pager's or chat tool's webhook) subscribed to every alarm.
   * @default - none
   */
  readonly httpsUrls?: readonly string[];
}

export class AlarmTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;
  /** Use as an alarm or OK action: notifies the topic. */
  readonly action: IAlarmAction;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    for (const url of props.httpsUrls ?? []) {
      if (!url.startsWith('https://')) throw new Error(`alarm subscriptions must be https:// URLs, got ${url}`);
    }

    this.key = new Key(this, 'Key', {
      description: `${Stack.of(this).stackName}: encrypts the Headroom alarm topic`,
      enableKeyRotation: true,
    });
    // CloudWatch publishes alarm notifications as itself: it needs to use the key, and nothing more.
    this.key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');

    this.topic = new Topic(this, 'Topic', {
      displayName: 'Headroom alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.emails ?? []) this.topic.addSubscription(new EmailSubscription(email));
    for (const url of props.httpsUrls ?? []) this.topic.addSubscription(new UrlSubscription(url, { protocol: SubscriptionProtocol.HTTPS }));
    this.action = new SnsAction(this.topic);
  }

  /** Notifies the topic when each alarm fires and when it recovers, so on-call sees the all-clear too. */
  notifyOn(...alarms: readonly AlarmBase[]): void {
    for (const alarm of alarms) {
      alarm.addAlarmAction(this.action);
      alarm.addOkAction(this.action);
    }
  }
}
