// Shadow-read totals of a search migration, one control-table item per migration: every comparison is counted
// with an atomic ADD, so concurrent searches never lose a count, and at most SHADOW_SAMPLES mismatches are kept
// as samples (a full list still counts the comparison).
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ShadowComparison, ShadowLedger, ShadowTotals } from '../../core/search/search-service.js';
import { controlKeys } from '../../schema.js';
import type { DocumentClient } from './aws-clients.js';

/** Samples kept per migration for shadow-read mismatches. */
export const SHADOW_SAMPLES = 20;

export class DynamoShadowLedger implements ShadowLedger {
  constructor(
    private readonly doc: DocumentClient,
    private readonly table: string,
  ) {}

  async record(comparison: ShadowComparison): Promise<void> {
    const sample = comparison.matched
      ? undefined
      : {
          tenantId: comparison.tenantId,
          onlyControl: comparison.onlyControl.slice(0, 5),
          onlyCandidate: comparison.onlyCandidate.slice(0, 5),
          error: comparison.error ?? null,
        };
    const counts = {
      ':one': 1,
      ':miss': comparison.matched ? 0 : 1,
      ':cms': Math.round(comparison.controlMs),
      ':ams': Math.round(comparison.candidateMs),
    };
    const add = 'ADD compared :one, mismatched :miss, controlMs :cms, candidateMs :ams';
    const Key = controlKeys.migrationShadow(comparison.migrationId);
    await this.doc
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key,
          UpdateExpression: `${add}${sample ? ' SET samples = list_append(if_not_exists(samples, :empty), :sample)' : ''}`,
          ...(sample ? { ConditionExpression: 'attribute_not_exists(samples) OR size(samples) < :cap' } : {}),
          ExpressionAttributeValues: { ...counts, ...(sample ? { ':empty': [], ':sample': [sample], ':cap': SHADOW_SAMPLES } : {}) },
        }),
      )
      .catch(async (error: unknown) => {
        // Sample list full: still count the comparison.
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
        await this.doc.send(new UpdateCommand({ TableName: this.table, Key, UpdateExpression: add, ExpressionAttributeValues: counts }));
      });
  }

  async totals(migrationId: string): Promise<ShadowTotals> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: controlKeys.migrationShadow(migrationId) }));
    const compared = (Item?.compared as number | undefined) ?? 0;
    return {
      compared,
      mismatched: (Item?.mismatched as number | undefined) ?? 0,
      controlAvgMs: compared ? Math.round(((Item?.controlMs as number) ?? 0) / compared) : null,
      candidateAvgMs: compared ? Math.round(((Item?.candidateMs as number) ?? 0) / compared) : null,
      samples: (Item?.samples as unknown[] | undefined) ?? [],
    };
  }
}
