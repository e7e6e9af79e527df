// The SQS job queue on the embedded SQS emulator: what the emulator receives is what SQS would.
import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsJobQueue } from '../../../lambdas/adapters/aws/sqs-job-queue.js';
import type { Job } from '../../../lambdas/core/jobs/jobs.js';
import type { TenantId } from '../../../lambdas/core/tenancy/tenancy.js';
import { startSqsEmulator, type SqsEmulator } from '../../../local/sqs-emulator.js';
import { localCredentials } from '../../support/dynamo.js';

let emulator: SqsEmulator;
let sqs: SQSClient;

const job = (n: number, group: string): Job => ({
  kind: 'comment',
  tenantId: `t${n % 3}` as TenantId,
  group,
  key: `c/${n}`,
  v: 1,
  op: 'insert',
  committedAt: '2026-01-01T00:00:00.000Z',
});

beforeAll(async () => {
  emulator = await startSqsEmulator();
  sqs = new SQSClient({ endpoint: emulator.endpoint, region: emulator.region, credentials: localCredentials });
});

afterAll(() => emulator.stop());

describe('SqsJobQueue', () => {
  it('sends every job, in batches of at most 10, each with MessageGroupId = its tenant group', async () => {
    const queue = new SqsJobQueue(sqs, { jobs: emulator.queueUrl('jobs') });
    const jobs = Array.from({ length: 23 }, (_, n) => job(n, n % 2 ? 'group-a' : 'group-b'));
    expect(await queue.send('jobs', jobs)).toEqual({ failed: [] });
    const received: { body: Job; group?: string }[] = [];
    while (received.length < jobs.length) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: emulator.queueUrl('jobs'),
          MaxNumberOfMessages: 10,
          AttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) break;
      for (const message of Messages)
        received.push({ body: JSON.parse(message.Body ?? '{}') as Job, group: message.Attributes?.MessageGroupId });
    }
    expect(received).toHaveLength(23);
    for (const { body, group } of received) expect(group).toBe(body.group);
  });

  it('retries entries SQS refuses and returns those that keep failing, never dropping them silently', async () => {
    const calls: number[] = [];
    let attempt = 0;
    const flaky = {
      send: async (command: SendMessageBatchCommand) => {
        attempt++;
        const entries = command.input.Entries ?? [];
        calls.push(entries.length);
        for (const entry of entries) expect(entry.MessageGroupId).toBeDefined();
        // The first attempt refuses two entries; later attempts keep refusing the entry of job 7.
        const refused = entries.filter((entry) =>
          attempt === 1 ? ['0', '1'].includes(entry.Id!) : JSON.parse(entry.MessageBody!).key === 'c/7',
        );
        return { Successful: [], Failed: refused.map((entry) => ({ Id: entry.Id, Code: 'InternalError', SenderFault: false })) };
      },
    } as unknown as SQSClient;
    const queue = new SqsJobQueue(flaky, { jobs: 'http://queue' }, 3);
    const jobs = [job(7, 'g'), job(8, 'g'), job(9, 'g')];
    const { failed } = await queue.send('jobs', jobs);
    expect(failed.map((j) => j.key)).toEqual(['c/7']);
    expect(calls).toEqual([3, 2, 1]);
  });
});
