// Synthesizes the CDK app exactly as `cdk synth` does (cdk.json's context, bin/app.ts's config resolution and
// stacks), bundling every function with the local esbuild, into a directory the embedded platform (--bundles) and
// the deploy rehearsal then run from. Policy checks are CI's `npm run synth`; this one is about the artifacts.
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { parseHeadroomContext, resolveProfileConfig } from '../lib/config.js';
import { buildApp } from '../lib/headroom-app.js';
import { readCloudAssembly, type CloudAssembly } from './cloud-assembly.js';

const CDK_JSON = new URL('../cdk.json', import.meta.url);

export interface SynthesizeOptions {
  readonly outdir: string;
  /** Config overrides, as cdk.json's or `-c headroom=` would give them. @default cdk.json's */
  readonly headroom?: unknown;
  /** Config profile. @default production */
  readonly profile?: string;
}

export function synthesizeApp(options: SynthesizeOptions): CloudAssembly {
  const context = (JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context: Record<string, unknown> }).context;
  // Construct paths in the template's metadata, as `cdk synth` writes them: the rehearsal maps resources by them.
  const app = new App({
    outdir: options.outdir,
    context: {
      ...context,
      'aws:cdk:enable-path-metadata': true,
      ...(options.headroom === undefined ? {} : { headroom: options.headroom }),
    },
  });
  buildApp(app, resolveProfileConfig(options.profile ?? 'production', parseHeadroomContext(app.node.tryGetContext('headroom'))));
  return readCloudAssembly(app.synth().directory);
}
