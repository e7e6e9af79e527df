// The one place a Headroom queue gets its security: encrypted at rest with SQS-managed keys (no key policy to
// get wrong, no KMS calls on the hot path) and a queue policy that refuses every request not made over TLS.
import { Queue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** What callers may choose; encryption and transport are not theirs to choose. */
export type SecureQueueProps = Pick<QueueProps, 'visibilityTimeout' | 'retentionPeriod' | 'deadLetterQueue'>;

export class SecureQueue extends Queue {
  constructor(scope: Construct, id: string, props: SecureQueueProps = {}) {
    super(scope, id, { ...props, encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true });
  }
}
