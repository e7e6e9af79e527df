// Model access on the API stack: the suggest-reply function may invoke exactly the Bedrock models its lanes route
// to, read exactly its OpenAI-compatible key secrets, and write only token-ledger items in the control table; no
// other function gets any of it. cdk-nag stays clean with every kind of route configured.
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/environment.js';
import { llmSettingsSchema } from '../../lambdas/core/llm/llm-settings.js';
import { API_FUNCTION_NAMES as FUNCTION_NAMES } from '../../lambdas/functions.js';
import { resolveConfig, type ConfigOverrides } from '../../lib/config.js';
import { llmLanes } from '../../local/llm-lanes.js';
import { testApp } from './headroom-test-app.js';
import { idOf, resourceOf, statementsOfRole, type Json } from './template-queries.js';

const WITH_EVERY_ROUTE_KIND: ConfigOverrides = {
  llm: {
    routes: {
      'sonnet-us': {
        provider: 'bedrock',
        model: 'us.anthropic.claude-3-5-sonnet-20241022-v2:0',
        region: 'us-east-1',
        maxConcurrency: 10,
        tokensPerMinute: 100_000,
      },
      'vendor-x': {
        provider: 'openai-compatible',
        model: 'gpt-4o-mini',
        baseUrl: 'https://api.example.com/v1',
        apiKeySecret: 'headroom/vendor-x',
        maxConcurrency: 10,
        tokensPerMinute: 100_000,
      },
    },
    lanes: llmLanes({
      interactive: { 'haiku-use1': 1, 'sonnet-us': 1, 'vendor-x': 1 },
      background: { 'vendor-x': 1 },
      backgroundShare: 0.25,
    }),
  },
};

const flat = (value: unknown) => JSON.stringify(value);

describe('model access', () => {
  it('lets suggest-reply invoke exactly the bedrock models its lanes use, and nothing else touch bedrock', () => {
    const { api } = testApp();
    const statements = statementsOfRole(api, api.functions['suggest-reply'].role);
    const invoke = statements.filter((s) => s.actions.includes('bedrock:InvokeModel'));
    const resources = invoke.flatMap((s) => s.resources.map(flat));
    expect(resources).toHaveLength(3);
    expect(resources.some((r) => r.includes(':bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0'))).toBe(true);
    expect(resources.some((r) => r.includes(':bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0'))).toBe(true);
    expect(resources.some((r) => r.includes(':bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0'))).toBe(true);
    expect(resources.join()).not.toContain('foundation-model/*');
    for (const name of FUNCTION_NAMES.filter((n) => n !== 'suggest-reply')) {
      const policies = Template.fromStack(api).findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: idOf(api, api.functions[name].role) }] },
      });
      expect(flat(policies)).not.toContain('bedrock:');
    }
  });

  it('grants inference profiles with their models, and key secrets by name, only for routes a lane uses', () => {
    const { api } = testApp(WITH_EVERY_ROUTE_KIND);
    const statements = statementsOfRole(api, api.functions['suggest-reply'].role);
    const bedrock = statements
      .filter((s) => s.actions.includes('bedrock:InvokeModel'))
      .flatMap((s) => s.resources.map(flat))
      .join();
    expect(bedrock).toContain('inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0');
    expect(bedrock).toContain(':bedrock:*::foundation-model/anthropic.claude-3-5-sonnet-20241022-v2:0');
    expect(bedrock).not.toContain('nova-lite');
    const secretRead = statements
      .filter((s) => s.actions.includes('secretsmanager:GetSecretValue'))
      .flatMap((s) => s.resources.map(flat))
      .join();
    expect(secretRead).toContain('secret:headroom/vendor-x-??????');
  });

  it('lets suggest-reply write only token-ledger items in the control table', () => {
    const { api } = testApp();
    const policies = Template.fromStack(api).findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: idOf(api, api.functions['suggest-reply'].role) }] },
    });
    const writes = Object.values(policies)
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Json[])
      .filter((statement) => flat(statement.Action).includes('dynamodb:UpdateItem') && !flat(statement.Resource).includes('shard'));
    expect(writes.length).toBeGreaterThan(0);
    for (const statement of writes) {
      expect(statement.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LLMTOKENS#*'] } });
    }
  });

  it('hands the routing settings to the model caller and the routing admin, in the form the runtime reads', () => {
    const { api, config } = testApp();
    for (const name of ['suggest-reply', 'admin-llm'] as const) {
      const variables = resourceOf(api, api.functions[name].lambda).Properties.Environment.Variables as Json;
      expect(llmSettingsSchema.parse(JSON.parse(variables[ENV.llm] as string))).toEqual(config.llm);
    }
    const other = resourceOf(api, api.functions['create-comment'].lambda).Properties.Environment.Variables as Json;
    expect(other[ENV.llm]).toBeUndefined();
  });

  it('refuses a lane that names a route nobody defined, or a background share that leaves customers nothing', () => {
    expect(() => resolveConfig({ llm: { lanes: { background: { share: 0.2, routes: [{ route: 'nope', weight: 1 }] } } } })).toThrow(
      /no route named nope/,
    );
    expect(() => resolveConfig({ llm: { lanes: { background: { share: 1 } } } })).toThrow(/background share must be below 1/);
  });

  it('leaves cdk-nag nothing to report on the model caller with bedrock profiles and an OpenAI-compatible key configured', () => {
    const { app } = testApp(WITH_EVERY_ROUTE_KIND);
    const { violations } = new AwsSolutionsChecks().validateScope(app);
    const findings = violations
      .filter((v) => v.severity === 'error' || v.severity === 'warning')
      .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`))
      .filter((finding) => finding.includes('/suggest-reply/') || finding.includes('LlmApiKey'));
    expect(findings).toEqual([]);
  });
});
