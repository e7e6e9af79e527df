// The synthesized app as the embedded platform and the deploy rehearsal read it: every stack's template, and for
// each function of the manifest its bundle (the asset `cdk deploy` uploads), handler and raw environment, found by
// the `headroom:function` metadata lib/constructs/handler-function.ts puts on each function.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTION_METADATA_KEY, functionDefinition, type FunctionName } from '../lambdas/functions.js';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown }>;
}

export interface SynthesizedFunction {
  readonly name: FunctionName;
  readonly stack: string;
  readonly logicalId: string;
  /** The unzipped asset: `index.mjs` (and its source map), exactly what is uploaded. */
  readonly assetDir: string;
  /** `<file>.<export>`, as Lambda reads it. */
  readonly handler: string;
  /** CloudFormation values, references unresolved. */
  readonly environment: Readonly<Record<string, unknown>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export interface CloudAssembly {
  readonly dir: string;
  readonly templates: Readonly<Record<string, CfnTemplate>>;
  readonly functions: ReadonlyMap<FunctionName, SynthesizedFunction>;
}

export function readCloudAssembly(dir: string): CloudAssembly {
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new Error(`${dir} is not a synthesized app (no manifest.json); run the synth first`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const templates: Record<string, CfnTemplate> = {};
  for (const [name, artifact] of Object.entries(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    templates[name] = JSON.parse(readFileSync(join(dir, artifact.properties.templateFile), 'utf8')) as CfnTemplate;
  }
  const functions = new Map<FunctionName, SynthesizedFunction>();
  for (const [stack, template] of Object.entries(templates)) {
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      const tagged = resource.Metadata?.[FUNCTION_METADATA_KEY];
      if (resource.Type !== 'AWS::Lambda::Function' || typeof tagged !== 'string') continue;
      const name = functionDefinition(tagged).name;
      if (functions.has(name)) throw new Error(`function ${name} is synthesized twice (${functions.get(name)?.logicalId}, ${logicalId})`);
      const properties = resource.Properties as {
        Code: { S3Key: string };
        Handler: string;
        Environment?: { Variables?: Record<string, unknown> };
        Timeout?: number;
        MemorySize?: number;
      };
      const assetDir = join(dir, `asset.${properties.Code.S3Key.replace(/\.zip$/, '')}`);
      functions.set(name, {
        name,
        stack,
        logicalId,
        assetDir,
        handler: properties.Handler,
        environment: properties.Environment?.Variables ?? {},
        timeoutSeconds: properties.Timeout ?? 3,
        memoryMb: properties.MemorySize ?? 128,
      });
    }
  }
  return { dir, templates, functions };
}

/** The module file and export a Lambda handler string (`index.handler`) names. */
export function handlerEntry(
  fn: Pick<SynthesizedFunction, 'assetDir' | 'handler'>,
  dir = fn.assetDir,
): { file: string; exportName: string } {
  const dot = fn.handler.lastIndexOf('.');
  return { file: join(dir, `${fn.handler.slice(0, dot)}.mjs`), exportName: fn.handler.slice(dot + 1) };
}
