#!/usr/bin/env node
// CDK entry: config from cdk.json context (`-c profile=<name>`, then the `headroom` overrides), the stacks, and the
// policy checks every template must pass at synth: cdk-nag's AWS Solutions rules and cfn-guard's Control Tower rules.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseHeadroomContext, resolveProfileConfig, type HeadroomConfig } from '../lib/config.js';
import { buildApp } from '../lib/headroom-app.js';
import { controlTowerValidator } from '../lib/policy-validation.js';

const app = new App();
let config: HeadroomConfig;
try {
  config = resolveProfileConfig(app.node.tryGetContext('profile'), parseHeadroomContext(app.node.tryGetContext('headroom')));
} catch (error) {
  // A config mistake is the operator's to fix: the message names the path and the reason; a stack trace adds nothing.
  console.error((error as Error).message);
  process.exit(1);
}
buildApp(app, config);
// Registered on the app the way `new App({ policyValidationBeta1 })` would, without that deprecated property.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), controlTowerValidator());
