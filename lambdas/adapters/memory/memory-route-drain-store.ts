// An in-process store of operator route drains, for unit tests and benchmarks.
import type { RouteDrain, RouteDrainStore } from '../../core/llm/route-drains.js';

export class MemoryRouteDrainStore implements RouteDrainStore {
  private readonly drains = new Map<string, RouteDrain>();

  async list(): Promise<RouteDrain[]> {
    return [...this.drains.values()];
  }

  async put(drain: RouteDrain): Promise<void> {
    this.drains.set(drain.route, drain);
  }
}
