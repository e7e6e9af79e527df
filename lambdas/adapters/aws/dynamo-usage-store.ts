// Usage counters in the control table. A job's marker and its counter increments commit in one transaction, so
// a job is counted exactly once: a redelivery finds the marker and changes nothing.
import { paginateQuery, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Job } from '../../core/jobs/jobs.js';
import type { MinuteUsage, UsageStore } from '../../core/ports.js';
import type { TenantId } from '../../core/tenancy/tenancy.js';
import { minuteOf } from '../../core/jobs/usage-meter.js';
import { controlKeys } from '../../schema.js';
import { failedConditionIndex, withConflictRetry } from './dynamo-errors.js';

const MARK_TTL_SECONDS = 15 * 24 * 3600;
const COUNTER_TTL_SECONDS = 35 * 24 * 3600;

export class DynamoUsageStore implements UsageStore {
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
