// Builds the app the way bin/app.ts does (cdk.json context, resolveConfig, buildApp) with optional config
// overrides. Bundling is skipped unless asked for: one test proves bundling, the rest test wiring.
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { resolveConfig, type ConfigOverrides, type HeadroomConfig } from '../../lib/config.js';
import { buildApp, type HeadroomStacks } from '../../lib/headroom-app.js';

export const CDK_CONTEXT: Record<string, unknown> = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;

export interface TestApp extends HeadroomStacks {
  readonly app: App;
  readonly config: HeadroomConfig;
}

export function testApp(overrides: ConfigOverrides = {}): TestApp {
  const app = new App({ context: { ...CDK_CONTEXT, headroom: overrides, 'aws:cdk:bundling-stacks': [] } });
  const config = resolveConfig(app.node.tryGetContext('headroom'));
  return { app, config, ...buildApp(app, config) };
}
