// Emulates a Lambda SQS event source mapping with ReportBatchItemFailures: a message is deleted only after the
// handler acknowledged it, a failed one comes back when its visibility timeout ends, one that has been received more
// than maxReceiveCount times goes to the dead-letter queue, and never more than maxConcurrency invocations run.
import {
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  MessageSystemAttributeName,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { lambdaContext } from './lambda-context.js';
import { interruptiblePause } from './interruptible-pause.js';

export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface SqsEventSourceOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly handler: SqsBatchHandler;
  /** Messages per invocation, 1-10 (larger batches need a batching window, which is not emulated). */
  readonly batchSize: number;
  readonly maxConcurrency: number;
  /** How long a received message stays hidden; a failed message is redelivered when it ends. */
  readonly visibilityTimeoutSeconds: number;
  /** A message received more often than this goes to the dead-letter queue instead of the handler. */
  readonly maxReceiveCount: number;
  /**
   * Pause after an empty receive.
   * @default 200
   */
  readonly pollIntervalMs?: number;
  /**
   * Name in the Lambda context handed to the handler.
   * @default the queue name followed by `-consumer`
   */
  readonly functionName?: string;
}

export interface SqsEventSourceStats {
  readonly invocations: number;
  readonly inFlightInvocations: number;
  /** Highest number of invocations that ran at the same time. */
  readonly peakConcurrentInvocations: number;
  readonly deletedMessages: number;
  /** Messages the handler reported as failed or threw on, left for redelivery. */
  readonly failedMessages: number;
  /** Messages this poller moved to the dead-letter queue (the queue's own redrive policy moves the others). */
  readonly deadLetteredMessages: number;
}

export interface SqsEventSource {
  /** Stops receiving and resolves once every in-flight invocation has finished and been acknowledged. */
  stop(): Promise<void>;
  stats(): SqsEventSourceStats;
}

const ALL = 'All';
// An SQS receive error (emulator restarting, connection reset) is retried after this pause rather than in a hot loop.
const RECEIVE_ERROR_PAUSE_MS = 1000;

function validate(options: SqsEventSourceOptions): void {
  const wholeInRange = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`${name} must be a whole number from ${min} to ${max} (got ${value})`);
  };
  wholeInRange('batchSize', options.batchSize, 1, 10);
  wholeInRange('maxConcurrency', options.maxConcurrency, 1, 1000);
  wholeInRange('visibilityTimeoutSeconds', options.visibilityTimeoutSeconds, 1, 43_200);
  wholeInRange('maxReceiveCount', options.maxReceiveCount, 1, 1000);
}

const toLambdaMessageAttributes = (attributes: Record<string, MessageAttributeValue> = {}): SQSMessageAttributes =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
        ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
        stringListValues: [],
        binaryListValues: [],
        dataType: value.DataType ?? 'String',
      },
    ]),
  );

function toSqsRecord(message: Message, queueArn: string): SQSRecord {
  const region = queueArn.split(':')[3] ?? '';
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: (message.Attributes ?? {}) as unknown as SQSRecordAttributes,
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** Message ids the handler acknowledged; none when its response is malformed, as Lambda treats that as a failed batch. */
function acknowledged(records: readonly SQSRecord[], response: SQSBatchResponse | void): Set<string> {
  const ids = new Set(records.map((record) => record.messageId));
  const failures = response?.batchItemFailures ?? [];
  for (const failure of failures) {
    if (typeof failure?.itemIdentifier !== 'string' || !ids.has(failure.itemIdentifier)) return new Set();
    ids.delete(failure.itemIdentifier);
  }
  return ids;
}

export function startSqsEventSource(options: SqsEventSourceOptions): SqsEventSource {
  validate(options);
  const { client, queueUrl, queueArn, handler } = options;
  const queueName = queueArn.split(':').at(-1) ?? queueUrl;
  const functionName = options.functionName ?? `${queueName}-consumer`;
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  const log = (message: string, error: unknown) => console.error(`[sqs ${queueName}] ${message}:`, error);

  const stats = { invocations: 0, peakConcurrentInvocations: 0, deletedMessages: 0, failedMessages: 0, deadLetteredMessages: 0 };
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  const { pause, interrupt } = interruptiblePause();

  async function deadLetter(message: Message): Promise<void> {
    const groupId = message.Attributes?.[MessageSystemAttributeName.MessageGroupId];
    await client.send(
      new SendMessageCommand({
        QueueUrl: options.deadLetterQueueUrl,
        MessageBody: message.Body ?? '',
        ...(message.MessageAttributes && Object.keys(message.MessageAttributes).length > 0
          ? { MessageAttributes: message.MessageAttributes }
          : {}),
        ...(groupId ? { MessageGroupId: groupId } : {}),
      }),
    );
    await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
    stats.deadLetteredMessages++;
  }

  async function invoke(messages: readonly Message[], deadline: number): Promise<void> {
    const records = messages.map((message) => toSqsRecord(message, queueArn));
    stats.invocations++;
    let done: Set<string>;
    try {
      // The message reappears when its visibility timeout ends, so that is the deadline the handler works against.
      done = acknowledged(records, await handler({ Records: records }, lambdaContext(functionName, deadline)));
    } catch (error) {
      log('invocation failed, its messages return after the visibility timeout', error);
      done = new Set();
    }
    stats.failedMessages += records.length - done.size;
    if (done.size === 0) return;
    const result = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: records
          .filter((record) => done.has(record.messageId))
          .map((record) => ({ Id: record.messageId, ReceiptHandle: record.receiptHandle })),
      }),
    );
    stats.deletedMessages += result.Successful?.length ?? 0;
    // An undeleted message is redelivered later, which idempotent consumers absorb; nothing is lost.
    if (result.Failed?.length) log('some acknowledged messages could not be deleted and will be redelivered', result.Failed);
  }

  function launch(messages: readonly Message[], deadline: number): void {
    const invocation = invoke(messages, deadline)
      .catch((error: unknown) => log('acknowledging an invocation failed; its messages will be redelivered', error))
      .finally(() => inFlight.delete(invocation));
    inFlight.add(invocation);
    stats.peakConcurrentInvocations = Math.max(stats.peakConcurrentInvocations, inFlight.size);
  }

  async function poll(): Promise<void> {
    while (!stopping) {
      if (inFlight.size >= options.maxConcurrency) {
        await Promise.race(inFlight);
        continue;
      }
      let messages: Message[];
      const receivedAt = Date.now();
      try {
        const response = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: options.batchSize,
            VisibilityTimeout: options.visibilityTimeoutSeconds,
            // local-aws-sqs only waits the full wait time (it does not return early), so poll short and pause instead.
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: [ALL],
            // local-aws-sqs reads the older parameter name only.
            AttributeNames: [ALL],
            MessageAttributeNames: [ALL],
          }),
        );
        messages = response.Messages ?? [];
      } catch (error) {
        if (stopping) break;
        log('receive failed', error);
        await pause(RECEIVE_ERROR_PAUSE_MS);
        continue;
      }
      const deliverable: Message[] = [];
      for (const message of messages) {
        const receiveCount = Number(message.Attributes?.[MessageSystemAttributeName.ApproximateReceiveCount] ?? '1');
        if (receiveCount > options.maxReceiveCount) {
          await deadLetter(message).catch((error: unknown) => log('moving a message to the dead-letter queue failed', error));
        } else {
          deliverable.push(message);
        }
      }
      // Received messages are delivered even when a stop began meanwhile: stop waits for them, so none sits hidden.
      if (deliverable.length > 0) launch(deliverable, receivedAt + options.visibilityTimeoutSeconds * 1000);
      else if (!stopping) await pause(pollIntervalMs);
    }
  }

  const polling = poll();
  let stopped: Promise<void> | undefined;
  return {
    stop: () =>
      (stopped ??= (async () => {
        stopping = true;
        interrupt();
        await polling;
        await Promise.all(inFlight);
      })()),
    stats: () => ({ ...stats, inFlightInvocations: inFlight.size }),
  };
}
