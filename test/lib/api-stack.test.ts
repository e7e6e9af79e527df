import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Method } from 'aws-cdk-lib/aws-apigateway';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { Problem } from '../../lambdas/core/problems.js';
import { ENV, readRuntimeEnvironment } from '../../lambdas/environment.js';
import { API_FUNCTION_NAMES as FUNCTION_NAMES, functionDefinition, type ApiFunctionName as FunctionName } from '../../lambdas/functions.js';
import { ROUTES } from '../../lambdas/routes.js';
import { LISTING_INDEX } from '../../lambdas/schema.js';
import { DEFAULT_CONFIG } from '../../lib/config.js';
import { ApiFunction } from '../../lib/constructs/api-function.js';
import { SafeReleases } from '../../lib/constructs/safe-function.js';
import { startBareFunction } from '../../local/bare-function.js';
import type { ApiStack } from '../../lib/stacks/api-stack.js';
import type { DataStack } from '../../lib/stacks/data-stack.js';
import { CDK_CONTEXT, testApp } from './headroom-test-app.js';
import { allows, idOf, mentions, refFor, resourceOf, runtimeView, statementsOfRole, type Statement } from './template-queries.js';

type Name = FunctionName | 'authorizer';

const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const TENANT_FUNCTIONS = [...new Set(ROUTES.filter((r) => r.auth === 'tenant').map((r) => r.handler))];

/** Every statement of the role of one function, one entry per resource. */
const statementsOf = (api: ApiStack, name: Name): Statement[] => statementsOfRole(api, api.functions[name].role);

/** Whether the role may do `action` on the table itself (not one of its indexes). */
function canOnTable(statements: Statement[], action: string, tableId: string): boolean {
  return statements.some((s) => s.actions.includes(action) && s.resources.some((r) => mentions(r, tableId) && !mentions(r, '/index/')));
}

function canOnIndex(statements: Statement[], action: string, tableId: string, index: string): boolean {
  return statements.some(
    (s) => s.actions.includes(action) && s.resources.some((r) => mentions(r, tableId) && mentions(r, `/index/${index}`)),
  );
}

const shardIds = (data: DataStack) => data.shards.shards.map((shard) => idOf(data, shard.table));
const tableId = (data: DataStack, table: Table) => idOf(data, table);

describe('ApiStack functions', () => {
  it('builds one function per entry point, nodejs22.x on arm64 with active tracing, sized from config', () => {
    const { api } = testApp({ runtime: { memoryMb: 1024, timeoutSeconds: 15 } });
    Template.fromStack(api).resourceCountIs('AWS::Lambda::Function', FUNCTION_NAMES.length);
    for (const name of FUNCTION_NAMES) {
      const fn = resourceOf(api, api.functions[name].lambda).Properties;
      expect(fn).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        MemorySize: 1024,
        Timeout: 15,
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: idOf(api, api.functions[name].logGroup) } },
      });
    }
  });

  it('keeps function and access logs for the configured retention', () => {
    const { api } = testApp({ logRetentionDays: 90 });
    const groups = Object.values(Template.fromStack(api).findResources('AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(FUNCTION_NAMES.length + 1);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(90);
  });

  it('gives function roles no AWS managed policies: every permission comes from a grant or a search access policy', () => {
    const { api } = testApp();
    for (const name of FUNCTION_NAMES) {
      const attached = (resourceOf(api, api.functions[name].role).Properties.ManagedPolicyArns ?? []) as unknown[];
      // The search domain's own access policies (lib/constructs/search-domain.ts), imported from the search stack.
      for (const arn of attached)
        expect(JSON.stringify(arn)).toMatch(/"StackName":"HeadroomSearch".*Search(SearchAccess|HealthCheckAccess)/);
      if (!['search', 'admin-migrations'].includes(name)) expect(attached).toEqual([]);
    }
  });

  it("sets an environment that the runtime's own reader accepts, pointing at this app's tables", () => {
    const { api, data, config } = testApp({
      shards: [{ name: 'shard-0' }, { name: 'shard-1', dedicatedTo: 'acme' }],
      runtime: { directoryCacheSeconds: 45, idempotencyTtlHours: 48 },
      defaultTier: 'free',
    });
    // healthz needs nothing (its manifest row): it gets Powertools' settings and no platform environment.
    expect(Object.keys(resourceOf(api, api.functions.healthz.lambda).Properties.Environment.Variables).sort()).toEqual([
      'NODE_OPTIONS',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
    ]);
    for (const name of FUNCTION_NAMES.filter((n) => functionDefinition(n).needs.platform)) {
      const { env, refs } = runtimeView(resourceOf(api, api.functions[name].lambda).Properties.Environment.Variables);
      const runtime = readRuntimeEnvironment(env);
      expect(runtime.shards.map(({ name, dedicatedTo }) => ({ name, dedicatedTo }))).toEqual([
        { name: 'shard-0', dedicatedTo: undefined },
        { name: 'shard-1', dedicatedTo: 'acme' },
      ]);
      // Shard tables are named, so the variable names them as literals: the very TableName of each shard's table.
      runtime.shards.forEach((shard, n) => {
        expect(shard.table).toBe(resourceOf(data, data.shards.shards[n]!.table).Properties.TableName);
      });
      expect(mentions(refs[Number(runtime.controlTable.replace('REF', ''))], tableId(data, data.controlTable))).toBe(true);
      expect(runtime.directoryCacheSeconds).toBe(45);
      expect(runtime.idempotencyTtlSeconds).toBe(48 * 3600);
      expect(runtime.defaultTier).toBe(config.defaultTier);
      expect(env).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'headroom', POWERTOOLS_METRICS_NAMESPACE: 'Headroom' });
    }
  });

  it('hands the cursor secret (ARN and read access) only to the functions that sign cursors', () => {
    const { api } = testApp();
    const secretId = idOf(api, api.cursorSecret);
    const signers: Name[] = ['list-conversations', 'get-conversation', 'admin-tenants', 'search'];
    for (const name of FUNCTION_NAMES) {
      const variables = resourceOf(api, api.functions[name].lambda).Properties.Environment.Variables;
      const canRead = statementsOf(api, name).some(
        (s) => s.actions.includes('secretsmanager:GetSecretValue') && mentions(s.resources, secretId),
      );
      expect({ name, env: variables[ENV.cursorSecretArn], canRead }).toEqual(
        signers.includes(name) ? { name, env: { Ref: secretId }, canRead: true } : { name, env: undefined, canRead: false },
      );
    }
  });

  it('gives only admin the tier usage plans, and lets it add tenant API keys to exactly those plans', () => {
    const { api } = testApp();
    const template = Template.fromStack(api);
    for (const name of FUNCTION_NAMES) {
      const variables = resourceOf(api, api.functions[name].lambda).Properties.Environment.Variables;
      const apiGateway = statementsOf(api, name).filter((s) => s.actions.some((a) => a.startsWith('apigateway:')));
      if (name !== 'admin-tenants') {
        expect({ name, env: variables[ENV.usagePlans], apiGateway }).toEqual({ name, env: undefined, apiGateway: [] });
        continue;
      }
      const usagePlans = readRuntimeEnvironment(runtimeView(variables).env).usagePlans!;
      const posts = apiGateway.filter((s) => s.actions.includes('apigateway:POST')).flatMap((s) => s.resources);
      expect(posts.some((r) => JSON.stringify(r).endsWith(':/apikeys"]]}'))).toBe(true);
      for (const [tier, plan] of Object.entries(api.gateway.usagePlans)) {
        expect(template.toJSON().Resources[idOf(api, plan)].Properties.UsagePlanName).toBe(usagePlans[tier as keyof typeof usagePlans]);
        expect(posts.some((r) => mentions(r, idOf(api, plan)) && mentions(r, '/keys'))).toBe(true);
      }
      expect(posts).toHaveLength(1 + Object.keys(api.gateway.usagePlans).length);
      expect(
        apiGateway.some((s) => s.actions.includes('apigateway:GET') && JSON.stringify(s.resources).endsWith(':/usageplans"]]}]')),
      ).toBe(true);
    }
  });

  it('generates a cursor signing key of at least 32 characters', () => {
    const { api } = testApp();
    const generated = resourceOf(api, api.cursorSecret).Properties.GenerateSecretString;
    expect(generated.PasswordLength).toBeGreaterThanOrEqual(32);
  });
});

describe('ApiStack grants', () => {
  const { api, data } = testApp();
  const shards = shardIds(data);
  const control = tableId(data, data.controlTable);

  it('lets list-conversations read every shard and query its listing index, but write nothing', () => {
    const statements = statementsOf(api, 'list-conversations');
    for (const shard of shards) {
      expect(canOnTable(statements, 'dynamodb:GetItem', shard)).toBe(true);
      expect(canOnIndex(statements, 'dynamodb:Query', shard, LISTING_INDEX)).toBe(true);
    }
    for (const action of WRITE_ACTIONS) expect(statements.some((s) => s.actions.includes(action))).toBe(false);
  });

  it('lets writing functions write every shard (a tenant may live on any shard)', () => {
    for (const name of ['create-conversation', 'create-comment', 'delete-conversation'] as const) {
      const statements = statementsOf(api, name);
      for (const shard of shards) expect(canOnTable(statements, 'dynamodb:PutItem', shard)).toBe(true);
    }
  });

  it('lets tenant functions read the tenant directory but never change it', () => {
    for (const name of TENANT_FUNCTIONS) {
      const statements = statementsOf(api, name);
      expect(canOnTable(statements, 'dynamodb:GetItem', control)).toBe(true);
      for (const action of WRITE_ACTIONS) {
        // suggest-reply's one control-table write, UpdateItem on token-ledger items only, is in model-access.test.ts.
        if (name === 'suggest-reply' && action === 'dynamodb:UpdateItem') continue;
        // search's one control-table write: shadow-read counters under `MIGRATION#*` keys only (asserted below).
        if (name === 'search' && action === 'dynamodb:UpdateItem') continue;
        expect(canOnTable(statements, action, control)).toBe(false);
      }
    }
  });

  it('lets search update shadow-read counters of migrations, and no other control-table item', () => {
    const updates = statementsOf(api, 'search').filter((s) => s.actions.includes('dynamodb:UpdateItem'));
    expect(updates).toHaveLength(1);
    const policy = Object.values(Template.fromStack(api).findResources('AWS::IAM::Policy')).find((candidate) =>
      JSON.stringify(candidate.Properties.Roles).includes(idOf(api, api.functions.search.role)),
    );
    const statement = (policy?.Properties.PolicyDocument.Statement as Record<string, any>[]).find(
      (s) => s.Action === 'dynamodb:UpdateItem',
    );
    expect(statement?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['MIGRATION#*'] } });
  });

  it.each(['admin-tenants', 'admin-flags', 'admin-queues'] as const)(
    'gives %s the control table and no access to any shard table',
    (name) => {
      const statements = statementsOf(api, name);
      expect(canOnTable(statements, 'dynamodb:PutItem', control)).toBe(true);
      for (const shard of shards) expect(statements.some((s) => mentions(s.resources, shard))).toBe(false);
    },
  );

  it('gives get-usage only read access to the control table (usage counters), and no shard or queue', () => {
    const statements = statementsOf(api, 'get-usage');
    expect(canOnTable(statements, 'dynamodb:GetItem', control)).toBe(true);
    expect(canOnTable(statements, 'dynamodb:Query', control)).toBe(true);
    for (const action of WRITE_ACTIONS) expect(canOnTable(statements, action, control)).toBe(false);
    for (const shard of shards) expect(statements.some((s) => mentions(s.resources, shard))).toBe(false);
    expect(statements.some((s) => s.actions.some((a) => a.startsWith('sqs:')))).toBe(false);
  });

  it('lets only admin-tenants issue usage-plan keys', () => {
    const apigateway = (name: Name) => statementsOf(api, name).some((s) => s.actions.some((a) => a.startsWith('apigateway:')));
    expect(apigateway('admin-tenants')).toBe(true);
    expect(apigateway('admin-flags')).toBe(false);
  });

  it('lets the authorizer only read the control table', () => {
    const statements = statementsOf(api, 'authorizer');
    const dynamo = statements.filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.length).toBeGreaterThan(0);
    for (const statement of dynamo) {
      expect(statement.resources.every((r) => mentions(r, control))).toBe(true);
      for (const action of WRITE_ACTIONS) expect(statement.actions).not.toContain(action);
    }
    expect(statements.some((s) => s.actions.some((a) => a.startsWith('secretsmanager:')))).toBe(false);
  });

  it('gives healthz no data access at all', () => {
    const statements = statementsOf(api, 'healthz');
    expect(statements.some((s) => s.actions.some((a) => /^(dynamodb|secretsmanager):/.test(a)))).toBe(false);
  });

  it('never grants a wildcard over table indexes', () => {
    const policies = Template.fromStack(api).findResources('AWS::IAM::Policy');
    expect(JSON.stringify(policies)).not.toContain('/index/*');
  });
});

describe('ApiStack REST API', () => {
  it('uses a token authorizer on the Authorization header, cached for the configured time', () => {
    for (const seconds of [0, 60, 300]) {
      const { api } = testApp({ api: { authorizerCacheSeconds: seconds } });
      Template.fromStack(api).hasResourceProperties('AWS::ApiGateway::Authorizer', {
        Type: 'TOKEN',
        IdentitySource: 'method.request.header.Authorization',
        AuthorizerResultTtlInSeconds: seconds,
      });
      const uri = resourceOf(api, api.gateway.authorizer).Properties.AuthorizerUri;
      // Through the alias, so a new authorizer version reaches API Gateway by the CodeDeploy canary too.
      expect(mentions(uri, idOf(api, api.functions.authorizer.alias))).toBe(true);
    }
  });

  it('meters tenants by the API key their authorizer context names', () => {
    const { api } = testApp();
    Template.fromStack(api).hasResourceProperties('AWS::ApiGateway::RestApi', {
      ApiKeySourceType: 'AUTHORIZER',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  it('builds one usage plan per tier with its throttle and daily quota, bound to the stage', () => {
    const { api, config } = testApp({ tiers: { free: { rateLimit: 3, burstLimit: 6, quotaPerDay: 1000 } } });
    const template = Template.fromStack(api);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', Object.keys(config.tiers).length);
    const stageId = idOf(api, api.gateway.restApi.deploymentStage);
    for (const [tier, limits] of Object.entries(config.tiers)) {
      template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        UsagePlanName: `${api.stackName}-${tier}`,
        Throttle: { RateLimit: limits.rateLimit, BurstLimit: limits.burstLimit },
        Quota: { Limit: limits.quotaPerDay, Period: 'DAY' },
        ApiStages: [{ ApiId: { Ref: idOf(api, api.gateway.restApi) }, Stage: { Ref: stageId } }],
      });
    }
    expect(config.tiers.free).toEqual({ rateLimit: 3, burstLimit: 6, quotaPerDay: 1000 });
  });

  it('throttles, traces, meters and access-logs the stage as JSON that names the tenant', () => {
    const { api } = testApp({ api: { stageName: 'prod', throttleRateLimit: 700, throttleBurstLimit: 1400 } });
    const stage = resourceOf(api, api.gateway.restApi.deploymentStage).Properties;
    expect(stage).toMatchObject({
      StageName: 'prod',
      TracingEnabled: true,
      MethodSettings: [
        {
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 700,
          ThrottlingBurstLimit: 1400,
          MetricsEnabled: true,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        },
      ],
    });
    expect(mentions(stage.AccessLogSetting.DestinationArn, idOf(api, api.gateway.accessLogs))).toBe(true);
    const format = JSON.parse(stage.AccessLogSetting.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      tenantId: '$context.authorizer.tenantId',
      status: '$context.status',
      resourcePath: '$context.resourcePath',
    });
  });

  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    'wires %s to its function with the authorisation the route table names',
    (_label, route) => {
      const { api } = testApp();
      const method = api.gateway.restApi.root.resourceForPath(route.path).node.tryFindChild(route.method) as Method;
      expect(method).toBeDefined();
      const props = resourceOf(api, method).Properties;
      expect(props.HttpMethod).toBe(route.method);
      expect(props.Integration.Type).toBe('AWS_PROXY');
      // The `live` alias, never the function: new versions reach callers only through the CodeDeploy canary.
      expect(mentions(props.Integration.Uri, idOf(api, api.functions[route.handler].alias))).toBe(true);
      const expected = {
        tenant: { AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: idOf(api, api.gateway.authorizer) }, ApiKeyRequired: true },
        admin: { AuthorizationType: 'AWS_IAM', AuthorizerId: undefined, ApiKeyRequired: false },
        none: { AuthorizationType: 'NONE', AuthorizerId: undefined, ApiKeyRequired: false },
      }[route.auth];
      expect({
        AuthorizationType: props.AuthorizationType,
        AuthorizerId: props.AuthorizerId,
        ApiKeyRequired: props.ApiKeyRequired ?? false,
      }).toEqual(expected);
    },
  );

  it('turns away tenant POST bodies that are not a JSON object before they reach a function', () => {
    const { api } = testApp();
    const template = Template.fromStack(api);
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    for (const route of ROUTES.filter((r) => r.auth === 'tenant' && r.method === 'POST')) {
      const method = api.gateway.restApi.root.resourceForPath(route.path).node.tryFindChild('POST') as Method;
      const props = resourceOf(api, method).Properties;
      expect(props.RequestValidatorId).toBeDefined();
      expect(Object.keys(props.RequestModels)).toEqual(['application/json']);
    }
  });

  it.each([
    ['BAD_REQUEST_BODY', 'validation-failed'],
    ['UNAUTHORIZED', 'unauthorized'],
    ['THROTTLED', 'rate-limited'],
    ['QUOTA_EXCEEDED', 'quota-exceeded'],
  ] as const)('answers %s itself with the same problem+json the functions send (%s)', (responseType, slug) => {
    const { api } = testApp();
    const expected = new Problem(slug, 'any').toDocument();
    const responses = Object.values(
      Template.fromStack(api).findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: responseType } }),
    );
    expect(responses).toHaveLength(1);
    const { StatusCode, ResponseParameters, ResponseTemplates } = responses[0]!.Properties;
    expect(StatusCode).toBe(String(expected.status));
    expect(ResponseParameters).toEqual({ 'gatewayresponse.header.Content-Type': "'application/problem+json'" });
    const body = JSON.parse(ResponseTemplates['application/json']);
    expect(body).toMatchObject({ type: expected.type, title: expected.title, status: expected.status });
    expect(body.detail).toMatch(/\w+/);
  });

  it('publishes the API base URL as the ApiUrl output, without a CloudFormation export', () => {
    const { api } = testApp();
    const outputs = Template.fromStack(api).findOutputs('ApiUrl');
    expect(outputs.ApiUrl).toBeDefined();
    expect(outputs.ApiUrl!.Export).toBeUndefined();
    expect(mentions(outputs.ApiUrl!.Value, idOf(api, api.gateway.restApi))).toBe(true);
  });
});

describe('ApiFunction bundling', () => {
  const dockerBefore = process.env.CDK_DOCKER;
  afterEach(() => {
    if (dockerBefore === undefined) delete process.env.CDK_DOCKER;
    else process.env.CDK_DOCKER = dockerBefore;
  });

  it('bundles a handler with the local esbuild (no Docker) into an ESM module that loads', async () => {
    // Any attempt to fall back to Docker bundling would now fail the synth.
    process.env.CDK_DOCKER = '/nonexistent/docker';
    const app = new App({ context: CDK_CONTEXT });
    const stack = new Stack(app, 'Bundled');
    const fn = new ApiFunction(stack, 'list-conversations', {
      handler: 'list-conversations',
      environment: {},
      runtime: { memoryMb: 128, timeoutSeconds: 3, reserveConcurrency: false },
      logRetention: RetentionDays.ONE_DAY,
      releases: new SafeReleases(stack, 'Releases', { alarmNaming: DEFAULT_CONFIG.operations.alarms }),
    });
    const assembly = app.synth();
    const key: string = resourceOf(stack, fn.lambda).Properties.Code.S3Key;
    const dir = join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);

    const bundle = join(dir, 'index.mjs');
    expect(existsSync(bundle)).toBe(true);
    expect(existsSync(`${bundle}.map`)).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    expect(code).toMatch(/^import \{ createRequire as __createRequire \} from 'node:module';/);
    // The embedded platform's native search engine never reaches a function's bundle.
    expect(code).not.toMatch(/better-sqlite3|better_sqlite3/);
    // Loaded bare, as Lambda loads it: copied out of the repository, where no node_modules can be reached.
    const bare = await startBareFunction({
      name: 'list-conversations',
      assetDir: dir,
      handler: 'index.handler',
      environment: {},
      timeoutSeconds: 5,
    });
    expect(bare.initMs).toBeGreaterThan(0);
    bare.stop();
  });
});

describe('ApiStack job queues', () => {
  const { api, messaging } = testApp();
  const queueIds = Object.values(messaging.jobQueues).map((q) => ({
    name: q.definition.name,
    deadLetterName: q.definition.deadLetterQueue,
    queue: idOf(messaging, q.queue),
    deadLetters: idOf(messaging, q.deadLetterQueue),
  }));
  const adminQueues = statementsOf(api, 'admin-queues');

  it('tells admin-queues where all four queues are: each job queue and its dead-letter queue', () => {
    const variables = resourceOf(api, api.functions['admin-queues'].lambda).Properties.Environment.Variables;
    const { env, refs } = runtimeView(variables);
    const jobQueues = readRuntimeEnvironment(env).jobQueues!;
    expect(Object.keys(jobQueues).sort()).toEqual(['jobs', 'jobs-dlq', 'jobs-overflow', 'jobs-overflow-dlq']);
    for (const { name, deadLetterName, queue, deadLetters } of queueIds) {
      expect(mentions(refFor(refs, jobQueues[name]!), queue)).toBe(true);
      expect(mentions(refFor(refs, jobQueues[deadLetterName]!), deadLetters)).toBe(true);
    }
  });

  it('gives no other API function the queues, or any SQS permission', () => {
    for (const name of FUNCTION_NAMES.filter((n) => n !== 'admin-queues')) {
      const variables = resourceOf(api, api.functions[name].lambda).Properties.Environment.Variables;
      expect({ name, env: variables[ENV.jobQueues] }).toEqual({ name, env: undefined });
      expect({ name, sqs: statementsOf(api, name).filter((s) => s.actions.some((a) => a.startsWith('sqs:'))) }).toEqual({ name, sqs: [] });
    }
  });

  it('lets admin-queues read the attributes of all four queues', () => {
    for (const { queue, deadLetters } of queueIds) {
      expect(allows(adminQueues, 'sqs:GetQueueAttributes', queue)).toBe(true);
      expect(allows(adminQueues, 'sqs:GetQueueAttributes', deadLetters)).toBe(true);
    }
  });

  it('lets admin-queues start and follow message move tasks on dead-letter queues only, moving them back to their job queue', () => {
    for (const { queue, deadLetters } of queueIds) {
      for (const action of ['sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']) {
        expect({ action, onDeadLetters: allows(adminQueues, action, deadLetters) }).toEqual({ action, onDeadLetters: true });
      }
      expect(allows(adminQueues, 'sqs:SendMessage', queue)).toBe(true);
      // A job queue is never a move task's source, and nothing is ever sent to a dead-letter queue by hand.
      for (const action of ['sqs:StartMessageMoveTask', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']) {
        expect({ action, onJobQueue: allows(adminQueues, action, queue) }).toEqual({ action, onJobQueue: false });
      }
      expect(allows(adminQueues, 'sqs:SendMessage', deadLetters)).toBe(false);
    }
    expect(adminQueues.some((s) => s.actions.some((a) => a.startsWith('sqs:')) && s.resources.includes('*'))).toBe(false);
  });

  it('lets admin-queues read CloudWatch metric values (oldest-message age), the only "*" beyond X-Ray, and no other function', () => {
    const wildcard = adminQueues.filter((s) => s.resources.includes('*')).flatMap((s) => s.actions);
    expect(wildcard.sort()).toEqual(['cloudwatch:GetMetricData', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    for (const name of FUNCTION_NAMES.filter((n) => n !== 'admin-queues')) {
      expect(statementsOf(api, name).some((s) => s.actions.some((a) => a.startsWith('cloudwatch:')))).toBe(false);
    }
  });
});
