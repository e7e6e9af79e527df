#!/usr/bin/env node
// CDK entry: config from cdk.json context `headroom`, the stacks, and cdk-nag's AWS Solutions checks.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { resolveConfig } from '../lib/config.js';
import { buildApp } from '../lib/headroom-app.js';

const app = new App();
buildApp(app, resolveConfig(app.node.tryGetContext('headroom')));
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
