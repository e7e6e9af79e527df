// Pacing of the reconciler's reads: never more than `itemsPerSecond` source items on average since the pacer
// started, so a pass takes its share of shard throughput and never a burst that customers' requests would feel.
import type { Clock } from '../ports.js';

export interface Pacer {
  /** Items to read per page: a second's worth at most, so one page is never a burst. */
  readonly pageSize: number;
  /** Accounts for `items` just read, pausing until the average rate is back under the limit. */
  take(items: number): Promise<void>;
}

const MAX_PAGE = 100;

export function createPacer(itemsPerSecond: number, clock: Clock, sleep: (ms: number) => Promise<void>): Pacer {
  const started = clock.now().getTime();
  let used = 0;
  return {
    pageSize: Math.max(1, Math.min(MAX_PAGE, itemsPerSecond)),
    async take(items) {
      used += items;
      const earliest = started + (used / itemsPerSecond) * 1000;
      const wait = earliest - clock.now().getTime();
      if (wait > 0) await sleep(wait);
    },
  };
}
