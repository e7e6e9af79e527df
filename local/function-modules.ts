// Loads the handler of every function the embedded platform runs (its manifest row has no `notEmbedded`), either
// from the sources or from the synthesized bundles, the very files `cdk deploy` uploads. A bundle is imported
// under a per-platform URL, so a platform started again in the same process gets fresh module instances (fresh
// clients, caches and environment), as a new Lambda sandbox would.
import { pathToFileURL } from 'node:url';
import { FUNCTIONS, type FunctionDefinition, type FunctionName } from '../lambdas/functions.js';
import { handlerEntry, readCloudAssembly } from './cloud-assembly.js';

/** Where handlers come from: the TypeScript sources, or a synthesized app's bundles (its directory). */
export type HandlerSource = 'sources' | { readonly bundles: string };

export interface LoadedFunction {
  readonly definition: FunctionDefinition;
  /** The module the handler came from. */
  readonly module: string;
  readonly handler: unknown;
}

let instances = 0;

export const embeddedFunctions = (): readonly FunctionDefinition[] => FUNCTIONS.filter((definition) => !definition.notEmbedded);

export async function loadFunctions(source: HandlerSource): Promise<ReadonlyMap<FunctionName, LoadedFunction>> {
  const assembly = source === 'sources' ? undefined : readCloudAssembly(source.bundles);
  const instance = ++instances;
  const loaded = await Promise.all(
    embeddedFunctions().map(async (definition): Promise<LoadedFunction> => {
      let url: string;
      let exportName = 'handler';
      if (!assembly) {
        url = new URL(`../lambdas/handlers/${definition.name}.ts`, import.meta.url).href;
      } else {
        const synthesized = assembly.functions.get(definition.name);
        if (!synthesized) throw new Error(`${assembly.dir} has no bundle for function ${definition.name}; synthesize the app again`);
        const entry = handlerEntry(synthesized);
        exportName = entry.exportName;
        url = `${pathToFileURL(entry.file).href}?platform=${instance}`;
      }
      const module = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
      if (typeof module[exportName] !== 'function') throw new Error(`${url} exports no function ${exportName}`);
      return { definition, module: url, handler: module[exportName] };
    }),
  );
  return new Map(loaded.map((fn) => [fn.definition.name, fn]));
}
