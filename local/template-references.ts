// Resolves the CloudFormation references in a synthesized function's environment to local resources, the way
// CloudFormation resolves them to deployed ones: Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::GetStackOutput (CDK's
// cross-stack references) and the pseudo parameters. What a reference resolves to is the caller's choice (a local
// table name, a queue URL on the emulator); a reference nobody mapped is an error naming it, never a guess.
import type { CfnResource, CfnTemplate } from './cloud-assembly.js';

export interface ResourceRef {
  readonly stack: string;
  readonly logicalId: string;
  readonly resource: CfnResource;
  /** The construct path (`HeadroomData/Shards/shard-0/Resource`), from the template's metadata. */
  readonly path: string;
  /** `Ref` when undefined, else the Fn::GetAtt attribute. */
  readonly attribute?: string;
}

/** Local value for a resource reference, or undefined if this resolver does not know the resource. */
export type ResourceResolver = (ref: ResourceRef) => string | undefined;

export interface ResolveOptions {
  readonly templates: Readonly<Record<string, CfnTemplate>>;
  readonly resolveResource: ResourceResolver;
  readonly region: string;
  readonly accountId: string;
}

export function resolveValue(value: unknown, stack: string, options: ResolveOptions, where = '$'): string {
  const resolved = resolve(value, stack, options, where);
  if (typeof resolved !== 'string') throw new Error(`${where} resolved to ${JSON.stringify(resolved)}, not a string`);
  return resolved;
}

function resolve(value: unknown, stack: string, options: ResolveOptions, where: string): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((item, index) => resolve(item, stack, options, `${where}[${index}]`));
  if (typeof value !== 'object' || value === null) throw new Error(`${where}: cannot resolve ${JSON.stringify(value)}`);
  const [[fn, args]] = Object.entries(value) as [[string, unknown]];
  switch (fn) {
    case 'Ref':
      return pseudo(args as string, stack, options) ?? resource(stack, args as string, undefined, options, where);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(args) ? (args as string[]) : (args as string).split('.');
      return resource(stack, logicalId as string, attribute, options, where);
    }
    case 'Fn::Join': {
      const [separator, parts] = args as [string, unknown[]];
      const resolvedParts = resolve(parts, stack, options, where) as unknown[];
      return resolvedParts.flat().join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = args as [unknown, unknown];
      return (resolve(list, stack, options, where) as unknown[])[Number(resolve(index, stack, options, where))];
    }
    case 'Fn::Split': {
      const [separator, source] = args as [string, unknown];
      return resolveValue(source, stack, options, where).split(separator);
    }
    case 'Fn::GetStackOutput': {
      const { StackName, OutputName } = args as { StackName: string; OutputName: string };
      const output = options.templates[StackName]?.Outputs?.[OutputName];
      if (!output) throw new Error(`${where}: stack ${StackName} has no output ${OutputName}`);
      return resolve(output.Value, StackName, options, `${where} → ${StackName}.${OutputName}`);
    }
    default:
      throw new Error(`${where}: ${fn} is not resolved by the rehearsal`);
  }
}

function pseudo(name: string, stack: string, options: ResolveOptions): string | undefined {
  const values: Record<string, string> = {
    'AWS::Region': options.region,
    'AWS::AccountId': options.accountId,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': stack,
  };
  return values[name];
}

function resource(stack: string, logicalId: string, attribute: string | undefined, options: ResolveOptions, where: string): string {
  const found = options.templates[stack]?.Resources[logicalId];
  if (!found) throw new Error(`${where}: ${stack} has no resource ${logicalId}`);
  const path = String(found.Metadata?.['aws:cdk:path'] ?? `${stack}/${logicalId}`);
  const value = options.resolveResource({ stack, logicalId, resource: found, path, ...(attribute ? { attribute } : {}) });
  if (value === undefined) {
    throw new Error(`${where}: no local stand-in for ${found.Type} ${path}${attribute ? ` (${attribute})` : ''}`);
  }
  return value;
}
