// Builds the app the way bin/app.ts does (cdk.json context, the profile, the `headroom` overrides, buildApp) with
// optional overrides, given as an object (cdk.json) or a JSON string (`-c headroom='…'`). Bundling is skipped
// unless asked for: one test proves bundling, the rest test wiring.
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import {
  parseHeadroomContext,
  resolveProfileConfig,
  type ConfigOverrides,
  type HeadroomConfig,
  type ProfileName,
} from '../../lib/config.js';
import { buildApp, type HeadroomStacks } from '../../lib/headroom-app.js';

export const CDK_CONTEXT: Record<string, unknown> = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;

export interface TestApp extends HeadroomStacks {
  readonly app: App;
  readonly config: HeadroomConfig;
}

export interface TestAppOptions {
  /** `-c profile=<name>`. */
  readonly profile?: ProfileName;
  /** Where the cloud assembly goes (the validation report is written there). */
  readonly outdir?: string;
}

export function testApp(overrides: ConfigOverrides | string = {}, options: TestAppOptions = {}): TestApp {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    context: {
      ...CDK_CONTEXT,
      headroom: overrides,
      ...(options.profile ? { profile: options.profile } : {}),
      'aws:cdk:bundling-stacks': [],
    },
  });
  const config = resolveProfileConfig(app.node.tryGetContext('profile'), parseHeadroomContext(app.node.tryGetContext('headroom')));
  return { app, config, ...buildApp(app, config) };
}
