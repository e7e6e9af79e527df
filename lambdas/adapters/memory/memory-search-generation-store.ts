// The search generation registry in memory, version-conditional like the DynamoDB adapter (core tests, benchmarks).
import type { SearchGenerationStore } from '../../core/ports.js';
import type { GenerationRecord } from '../../core/search/search-generations.js';

export class MemorySearchGenerationStore implements SearchGenerationStore {
  private readonly records = new Map<string, GenerationRecord>();

  async list(): Promise<GenerationRecord[]> {
    return [...this.records.values()].map((record) => structuredClone(record));
  }

  async put(record: GenerationRecord, expectedVersion: number): Promise<boolean> {
    if ((this.records.get(record.generation)?.version ?? 0) !== expectedVersion) return false;
    this.records.set(record.generation, structuredClone(record));
    return true;
  }
}
