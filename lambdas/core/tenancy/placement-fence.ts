// A tenant's writes land only on the shard the directory names for its current epoch. Each shard holds the
// tenant's placement markers; every write checks its marker in the same transaction, so a writer holding a stale
// route (old shard or old epoch) is refused by the storage itself, never by a cache it might not have refreshed.
// A refused writer waits out a fence (bounded) or follows the directory to the tenant's new shard.
import { setTimeout as delay } from 'node:timers/promises';
import { Problem } from '../problems.js';
import type { Clock, ConversationStore } from '../ports.js';
import type { TenantDirectory } from './tenant-directory.js';
import { toTenantContext, type TenantContext } from './tenancy.js';

/**
 * `active`: writes with the marker's epoch commit here. `fenced`: a cutover is draining this shard; writes wait.
 * `moved`: the tenant lives elsewhere now; writers re-read the directory. An absent marker means "never moved":
 * the tenant was created here and any epoch is current.
 */
export type PlacementState = 'active' | 'fenced' | 'moved';

export interface PlacementMarker {
  readonly state: PlacementState;
  readonly epoch: number;
}

/** Thrown by a conversation store when the shard refused a write because of the tenant's placement. */
export class PlacementRefused extends Error {
  constructor(
    readonly state: PlacementState | 'stale-epoch',
    readonly markerEpoch: number,
  ) {
    super(`write refused by the placement marker (${state}, epoch ${markerEpoch})`);
    this.name = 'PlacementRefused';
  }
}

export interface FencedWritesOptions {
  readonly directory: TenantDirectory;
  readonly storeFor: (tenant: TenantContext) => ConversationStore;
  readonly clock: Clock;
  /** How long a write waits for a fence to lift before answering 503 (config `tenantMove.fenceWaitMs`). */
  readonly maxWaitMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told about every refusal (metrics: how often and how long writers waited). */
  readonly onRefused?: (refusal: PlacementRefused) => void;
}

/** A first retry soon after the refusal (most fences last milliseconds), doubling up to this. */
const FIRST_BACKOFF_MS = 10;
const MAX_BACKOFF_MS = 200;

const moving = (retryAfterSeconds: number) =>
  new Problem(
    'writes-paused',
    'This account is being moved between storage shards and writes are paused for a moment; reads still work. Retry shortly.',
    { retryAfterSeconds },
  );

/**
 * The tenant's conversation store that follows the tenant: reads go to the current route, writes refused by a
 * placement marker re-read the directory (bypassing its cache) and retry on the shard it names, waiting with
 * backoff while the tenant is fenced. Other tenants never share this wait: the fence is per tenant.
 */
export function fencedConversationStore(tenant: TenantContext, options: FencedWritesOptions): ConversationStore {
  const sleep = options.sleep ?? delay;
  let route = tenant;
  let store = options.storeFor(route);

  async function write<T>(attempt: (target: ConversationStore) => Promise<T>): Promise<T> {
    const deadline = options.clock.now().getTime() + options.maxWaitMs;
    let backoff = FIRST_BACKOFF_MS;
    for (;;) {
      try {
        return await attempt(store);
      } catch (error) {
        if (!(error instanceof PlacementRefused)) throw error;
        options.onRefused?.(error);
        options.directory.forget(route.tenantId);
        const profile = await options.directory.resolve(route.tenantId);
        if (!profile) throw error;
        const now = options.clock.now().getTime();
        if (profile.shard !== route.shard || profile.epoch !== route.epoch) {
          route = toTenantContext(profile);
          store = options.storeFor(route);
          if (now < deadline) continue;
        }
        if (now >= deadline) throw moving(1);
        await sleep(Math.min(backoff, deadline - now));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  return {
    createConversation: (conversation, claim, now) => write((target) => target.createConversation(conversation, claim, now)),
    addComment: (comment, claim, now) => write((target) => target.addComment(comment, claim, now)),
    softDeleteConversation: (conversationId, at) => write((target) => target.softDeleteConversation(conversationId, at)),
    getConversation: (conversationId) => store.getConversation(conversationId),
    listConversations: (limit, after) => store.listConversations(limit, after),
    listComments: (conversationId, limit, after) => store.listComments(conversationId, limit, after),
  };
}

/** The tenant's placement markers on one shard (one per listing bucket, always changed together). */
export interface PlacementMarkers {
  /** The marker state, or undefined when the tenant never had one here. */
  read(tenantId: string): Promise<PlacementMarker | undefined>;
  /** active(epoch) or absent → fenced(epoch); idempotent. False when the markers are at another epoch or moved. */
  fence(tenantId: string, epoch: number): Promise<boolean>;
  /** fenced(epoch) → active(epoch): a cutover that could not drain in time lets writes through again. */
  unfence(tenantId: string, epoch: number): Promise<void>;
  /** → active(epoch), unless a newer epoch is already recorded here. */
  activate(tenantId: string, epoch: number): Promise<void>;
  /** → moved(epoch): stale writers re-read the directory and follow the tenant. */
  retire(tenantId: string, epoch: number): Promise<void>;
}
