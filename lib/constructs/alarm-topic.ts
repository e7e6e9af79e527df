// The one SNS topic every Headroom alarm notifies. It is encrypted with its own KMS key because CloudWatch cannot
// publish to a topic under the AWS-managed SNS key (that key's policy cannot be changed to let CloudWatch in),
// and it refuses publishes that are not over TLS. Grants on the key can be created only for AWS services.
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { AlarmBase, IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
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
  /**
   * What happens to the topic's key when the stack is deleted (DESTROY schedules its deletion).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
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
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // A grant is a standing permission outside the key policy; nobody but an AWS service acting for a resource
    // (none does for this key today) may create one (Control Tower CT.KMS.PR.3).
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'GrantsOnlyForAwsServices',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      }),
    );
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
