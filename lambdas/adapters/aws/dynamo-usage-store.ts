// Usage counters in the control table. A job's marker and its counter increments commit in one transaction, so
// a job is counted exactly once: a redelivery finds the marker and changes nothing.
import { BatchWriteCommand, paginateQuery, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Job } from '../../core/jobs/jobs.js';
import type { MinuteUsage, UsageStore } from '../../core/ports.js';
import type { CreationMark, MinuteCounts, UsageRepairStore } from '../../core/repair/derived-data-repair.js';
import type { TenantId } from '../../core/tenancy/tenancy.js';
import { minuteOf } from '../../core/jobs/usage-meter.js';
import { controlKeys } from '../../schema.js';
import { failedConditionIndex, isConditionFailure, withConflictRetry } from './dynamo-errors.js';

const MARK_TTL_SECONDS = 15 * 24 * 3600;
const COUNTER_TTL_SECONDS = 35 * 24 * 3600;
const BATCH_WRITE_LIMIT = 25;

export class DynamoUsageStore implements UsageStore, UsageRepairStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async count(job: Job): Promise<boolean> {
    const minute = minuteOf(job.committedAt);
    const now = Math.floor(Date.now() / 1000);
    const created = job.op === 'insert';
    try {
      await withConflictRetry(() =>
        this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.table,
                  Item: {
                    ...controlKeys.usageMark(job.tenantId, job.kind, job.key, job.v),
                    type: 'usage-mark',
                    expiresAt: now + MARK_TTL_SECONDS,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Update: {
                  TableName: this.table,
                  Key: controlKeys.tenantUsage(job.tenantId, minute),
                  UpdateExpression:
                    'ADD jobs :one, conversations :conversations, comments :comments SET #type = :type, expiresAt = :expires',
                  ExpressionAttributeNames: { '#type': 'type' },
                  ExpressionAttributeValues: {
                    ':one': 1,
                    ':conversations': created && job.kind === 'conversation' ? 1 : 0,
                    ':comments': created && job.kind === 'comment' ? 1 : 0,
                    ':type': 'usage',
                    ':expires': now + COUNTER_TTL_SECONDS,
                  },
                },
              },
              {
                Update: {
                  TableName: this.table,
                  Key: controlKeys.groupJobs(minute, job.group),
                  UpdateExpression: 'ADD jobs :one SET #type = :type, expiresAt = :expires',
                  ExpressionAttributeNames: { '#type': 'type' },
                  ExpressionAttributeValues: { ':one': 1, ':type': 'group-jobs', ':expires': now + COUNTER_TTL_SECONDS },
                },
              },
            ],
          }),
        ),
      );
      return true;
    } catch (error) {
      if (failedConditionIndex(error) === 0) return false;
      throw error;
    }
  }

  /**
   * The reconciler's repair of one tenant-minute, exactly-once with count(): the creations' markers are written
   * first, so an insert job still in flight finds its marker and adds nothing; then the counts are set only if they
   * are still what the reconciler read, so an increment that landed meanwhile is never overwritten (the reconciler
   * reads again and retries). A crash between the two leaves the counter short, which the next pass finds again.
   * A late insert job that finds a marker written here adds no `jobs` either: those are load figures, not usage.
   */
  async repairMinute(
    tenantId: TenantId,
    minute: string,
    seen: MinuteCounts | undefined,
    want: MinuteCounts,
    creations: readonly CreationMark[],
  ): Promise<boolean> {
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < creations.length; i += BATCH_WRITE_LIMIT) {
      let requests = creations.slice(i, i + BATCH_WRITE_LIMIT).map((mark) => ({
        PutRequest: {
          Item: { ...controlKeys.usageMark(tenantId, mark.kind, mark.key, mark.v), type: 'usage-mark', expiresAt: now + MARK_TTL_SECONDS },
        },
      }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt >= 8)
          throw new Error(`could not write ${requests.length} usage markers of ${tenantId} ${minute}; the next pass retries`);
        const { UnprocessedItems } = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
        requests = (UnprocessedItems?.[this.table] ?? []) as typeof requests;
        if (requests.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: controlKeys.tenantUsage(tenantId, minute),
          UpdateExpression: 'SET conversations = :conversations, comments = :comments, #type = :type, expiresAt = :expires',
          ConditionExpression: seen ? 'conversations = :seenConversations AND comments = :seenComments' : 'attribute_not_exists(pk)',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: {
            ':conversations': want.conversations,
            ':comments': want.comments,
            ':type': 'usage',
            ':expires': now + COUNTER_TTL_SECONDS,
            ...(seen ? { ':seenConversations': seen.conversations, ':seenComments': seen.comments } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async tenantUsage(tenantId: TenantId, fromMinute: string, toMinute: string): Promise<MinuteUsage[]> {
    const rows: MinuteUsage[] = [];
    const query = {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': controlKeys.tenantUsagePartition(tenantId), ':from': fromMinute, ':to': toMinute },
    };
    for await (const page of paginateQuery({ client: this.doc }, query)) {
      for (const item of page.Items ?? []) {
        rows.push({
          minute: item.sk as string,
          conversations: (item.conversations as number) ?? 0,
          comments: (item.comments as number) ?? 0,
          jobs: (item.jobs as number) ?? 0,
        });
      }
    }
    return rows;
  }

  async groupJobs(minutes: readonly string[]): Promise<Record<string, number>> {
    const totals: Record<string, number> = {};
    await Promise.all(
      minutes.map(async (minute) => {
        const query = {
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': controlKeys.groupJobsPartition(minute) },
        };
        for await (const page of paginateQuery({ client: this.doc }, query)) {
          for (const item of page.Items ?? []) totals[item.sk as string] = (totals[item.sk as string] ?? 0) + ((item.jobs as number) ?? 0);
        }
      }),
    );
    return totals;
  }
}
