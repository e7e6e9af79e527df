// Turns committed changes (DynamoDB stream records, already unmarshalled) into jobs. Only conversations and
// comments become jobs; bookkeeping items (idempotency keys) do not. A soft delete is a `delete` job carrying
// the tombstone's version, so consumers learn of deletions the same way they learn of writes.
import type { Job, JobKind } from './jobs.js';
import type { TenantId } from '../tenancy/tenancy.js';

export interface ChangeRecord {
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly sequenceNumber: string;
  readonly approximateCreationTime: string;
  readonly newImage?: Record<string, unknown>;
  readonly oldImage?: Record<string, unknown>;
}

/** A change that becomes a job once its tenant's group is known. */
export type CapturedChange = Omit<Job, 'group'> & { readonly sequenceNumber: string };

export function captureChange(record: ChangeRecord): CapturedChange | undefined {
  const image = record.newImage ?? record.oldImage;
  const kind = image?.type;
  if (kind !== 'conversation' && kind !== 'comment') return undefined;
  const deletedNow = record.newImage?.deleted === true;
  const deletedBefore = record.oldImage?.deleted === true;
  const op =
    record.eventName === 'INSERT' ? 'insert' : record.eventName === 'REMOVE' || (deletedNow && !deletedBefore) ? 'delete' : 'update';
  const id = image?.id as string;
  return {
    kind: kind as JobKind,
    tenantId: image?.tenantId as TenantId,
    key: kind === 'comment' ? `${image?.conversationId as string}/${id}` : id,
    v: (image?.v as number) ?? 1,
    op,
    committedAt: (record.newImage?.updatedAt as string | undefined) ?? record.approximateCreationTime,
    sequenceNumber: record.sequenceNumber,
  };
}
