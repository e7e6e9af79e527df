// The derived-data reconciler's composition: the pass store, the usage counters it repairs (the usage meter's own
// store, so both write the same counters and markers), the shard item sources, and, where the platform has search,
// the engine and the generation registry read fresh (a pass must see a generation created a moment ago). The
// repair function and the admin routes that request runs and report status import this file.
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { DynamoRepairPassStore } from '../adapters/aws/dynamo-repair-pass-store.js';
import { DynamoSearchGenerationStore } from '../adapters/aws/dynamo-search-generation-store.js';
import { DynamoTenantItems } from '../adapters/aws/dynamo-tenant-items.js';
import { DynamoUsageStore } from '../adapters/aws/dynamo-usage-store.js';
import { derivedDataRepair, type DerivedDataRepair } from '../core/repair/derived-data-repair.js';
import { DEFAULT_REPAIR_SETTINGS } from '../core/repair/repair-settings.js';
import { generationView } from '../core/search/search-generations.js';
import { tableOfShard } from '../core/tenancy/shard-topology.js';
import type { TenantItemSource } from '../core/tenancy/tenant-items.js';
import type { ShardName } from '../core/tenancy/tenancy.js';
import { emit } from '../observability.js';
import type { Platform } from './platform.js';
import { searchServicesOf } from './search.js';

/** This platform's reconciler, built on first use. */
export const repairOf = (platform: Platform): Promise<DerivedDataRepair> =>
  platform.parts.once(repairOf, async () => {
    const { doc, env, control, clock } = platform.parts;
    const sources = new Map<ShardName, TenantItemSource>();
    const items = (shard: ShardName) => {
      let source = sources.get(shard);
      if (!source) {
        source = new DynamoTenantItems(doc, tableOfShard(env.shards, shard));
        sources.set(shard, source);
      }
      return source;
    };
    const generations = new DynamoSearchGenerationStore(doc, env.controlTable);
    const search = env.search ? await searchServicesOf(platform) : undefined;
    return derivedDataRepair({
      store: new DynamoRepairPassStore(doc, env.controlTable),
      control,
      items,
      ...(search ? { search: { index: search.index, writeGenerations: async () => generationView(await generations.list()).write } } : {}),
      usage: new DynamoUsageStore(doc, env.controlTable),
      settings: env.repair ?? DEFAULT_REPAIR_SETTINGS,
      clock,
      sleep,
      suffix: () => randomUUID().slice(0, 8),
      reporter: { tenantChecked: emit.derivedDataChecked, passCompleted: emit.derivedDataPassCompleted },
    });
  });
