import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnInsightRule } from 'aws-cdk-lib/aws-cloudwatch';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/environment.js';
import { OPERATIONS_ENV } from '../../lambdas/operations-contract.js';
import { ROUTES } from '../../lambdas/routes.js';
import { functionRuntimeDefaults, resolveConfig } from '../../lib/config.js';
import { SyntheticCanary } from '../../lib/constructs/synthetic-canary.js';
import { testApp } from './headroom-test-app.js';
import { asArray, idOf, mentions, resourceOf, runtimeView, statementsOfRole, type Json } from './template-queries.js';

/** The dashboard body as CloudWatch will read it, with every CloudFormation reference replaced by `REF`. */
function dashboardBody(body: Json): { widgets: Json[] } {
  const join = body['Fn::Join'];
  const text = join
    ? (join[1] as unknown[]).map((part) => (typeof part === 'string' ? part : 'REF')).join(join[0])
    : (body as unknown as string);
  return JSON.parse(text);
}

/** Every metric row of a graph widget, as its flattened cells (namespace, name, dimension pairs, options). */
const metricRows = (widget: Json): unknown[][] => (widget.properties.metrics ?? []) as unknown[][];
const expressions = (widget: Json): string[] =>
  metricRows(widget).flatMap((row) =>
    row
      .filter((cell): cell is Json => typeof cell === 'object' && cell !== null && 'expression' in cell)
      .map((cell) => cell.expression as string),
  );

describe('OperationsStack dashboard', () => {
  const { operations, alarms, data } = testApp();
  const body = dashboardBody(resourceOf(operations, operations.dashboard.dashboard).Properties.DashboardBody);
  const widget = (title: string) => {
    const found = body.widgets.find((w) => w.properties?.title === title);
    expect(found, `widget "${title}"`).toBeDefined();
    return found!;
  };

  it('is named after the stack, so the CLI and runbooks can link to it', () => {
    expect(resourceOf(operations, operations.dashboard.dashboard).Properties.DashboardName).toBe('HeadroomOperations');
  });

  it('shows the paging alarm first in the alarm strip', () => {
    const strip = widget('Alarms');
    expect(strip.properties.alarms[0]).toBe('REF');
    const source = resourceOf(operations, operations.dashboard.dashboard).Properties.DashboardBody;
    expect(mentions(source, idOf(alarms, alarms.customersCannotWrite.alarm))).toBe(true);
  });

  it.each([
    ['Conversations created per minute vs band and floor', 'ConversationCreated'],
    ['Comments created per minute vs band and floor', 'CommentCreated'],
  ])('plots %s: the FILLed count against its anomaly band, with the floor as a line', (title, metricName) => {
    const graph = widget(title);
    expect(expressions(graph)).toEqual(expect.arrayContaining(['FILL(m, 0)', expect.stringMatching(/^ANOMALY_DETECTION_BAND\(m, 3\)$/)]));
    expect(JSON.stringify(metricRows(graph))).toContain(`"Headroom","${metricName}","service","headroom"`);
    expect(graph.properties.annotations.horizontal).toEqual([expect.objectContaining({ value: 1, label: 'floor' })]);
  });

  it('plots the canary round trip and its runs', () => {
    expect(JSON.stringify(metricRows(widget('Canary round trip (create → searchable)')))).toContain('"HeartbeatRoundTripMs"');
    expect(JSON.stringify(metricRows(widget('Canary runs: succeeded vs ran')))).toContain('"HeartbeatSuccess"');
  });

  it.each([
    ['API 5XX by route', '5XXError'],
    ['API 4XX by route', '4XXError'],
    ['API p99 latency by route', 'Latency'],
  ])('plots %s for every route of the route table', (title, metricName) => {
    const rows = metricRows(widget(title)).map((row) => JSON.stringify(row));
    expect(rows).toHaveLength(ROUTES.length);
    for (const route of ROUTES) {
      expect(
        rows.some((row) => row.includes(`"${metricName}"`) && row.includes(`"Method","${route.method}","Resource","${route.path}"`)),
      ).toBe(true);
    }
    if (metricName === 'Latency') expect(rows.every((row) => row.includes('"stat":"p99"'))).toBe(true);
  });

  it('plots read and write throttles of every shard table', () => {
    const rows = JSON.stringify(metricRows(widget('Shard throttles (read + write events)')));
    for (const shard of data.shards.shards) {
      expect(rows).toContain(`"label":"${shard.name} write"`);
      expect(rows).toContain(`"label":"${shard.name} read"`);
    }
    expect(rows).toContain('WriteThrottleEvents');
    expect(rows).toContain('ReadThrottleEvents');
  });

  it('plots the fair queues: quiet-group age, noisy groups, overflow depth and the dead-letter queues', () => {
    expect(JSON.stringify(metricRows(widget('Quiet-group age (main queue)')))).toContain('ApproximateAgeOfOldestMessageInQuietGroups');
    expect(JSON.stringify(metricRows(widget('Noisy groups (main queue)')))).toContain('ApproximateNumberOfNoisyGroups');
    expect(JSON.stringify(metricRows(widget('Overflow queue depth and age')))).toContain('ApproximateNumberOfMessagesVisible');
    expect(metricRows(widget('Dead-letter queues (visible messages)'))).toHaveLength(3);
  });

  it('finds indexer lag, migration progress and rollbacks in the Headroom namespace whatever their dimensions', () => {
    expect(expressions(widget('Indexer lag (commit → searchable)'))).toEqual([
      `SEARCH('{Headroom} MetricName="IndexerLagSeconds"', 'Maximum', 60)`,
    ]);
    expect(expressions(widget('Migrations: tenants cut over of total'))).toEqual([
      `SEARCH('{Headroom} MetricName="MigrationTenantsCutOver"', 'Maximum', 60)`,
      `SEARCH('{Headroom} MetricName="MigrationTenantsTotal"', 'Maximum', 60)`,
    ]);
    expect(expressions(widget('Releases rolled back by the rollback action'))).toEqual([
      `SEARCH('{Headroom} MetricName="ReleaseRolledBack"', 'Sum', 60)`,
    ]);
  });

  it('keeps the widget layout stable (backstop)', () => {
    expect(body.widgets.map((w) => [w.type, w.properties.title ?? null, w.width, w.height])).toMatchSnapshot();
  });
});

describe('OperationsStack synthetic canary', () => {
  const { operations, api } = testApp({
    operations: { canary: { everyMinutes: 2, deadlineSeconds: 90, awaitSearch: false, retentionHours: 6 } },
  });
  const canary = operations.canary!;

  it('runs on the configured schedule, never retried', () => {
    const rule = resourceOf(operations, canary.schedule).Properties;
    expect(rule.ScheduleExpression).toBe('rate(2 minutes)');
    expect(rule.State).toBe('ENABLED');
    expect(rule.Targets).toHaveLength(1);
    expect(mentions(rule.Targets[0].Arn, idOf(operations, canary.function.lambda))).toBe(true);
    expect(rule.Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
  });

  it('calls the public API of this app with its deadline, and outlives the deadline only by the time to publish', () => {
    const fn = resourceOf(operations, canary.function.lambda).Properties;
    const { env, refs } = runtimeView(fn.Environment.Variables);
    expect(env[OPERATIONS_ENV.canaryDeadlineSeconds]).toBe('90');
    expect(env[OPERATIONS_ENV.canaryAwaitSearch]).toBe('false');
    expect(env[OPERATIONS_ENV.canaryRetentionHours]).toBe('6');
    expect(mentions(refs, idOf(api, api.gateway.restApi))).toBe(true);
    expect(mentions(fn.Environment.Variables[OPERATIONS_ENV.canaryTokenSecretArn], idOf(operations, canary.tokenSecret))).toBe(true);
    expect(fn.Timeout).toBe(100);
  });

  it('refuses at synth a retention the canary would refuse at its first run', () => {
    const props = {
      apiUrl: 'https://example.com/v1/',
      every: Duration.minutes(1),
      deadline: Duration.seconds(45),
      awaitSearch: true,
      logRetention: RetentionDays.ONE_WEEK,
      runtime: functionRuntimeDefaults(resolveConfig()),
    };
    expect(() => new SyntheticCanary(new Stack(), 'Canary', { ...props, retention: Duration.minutes(90) })).toThrow(
      'canary retention must be a whole number of hours in 1-168, got 1 hour 30 minutes',
    );
    expect(() => new SyntheticCanary(new Stack(), 'Canary', { ...props, retention: Duration.days(8) })).toThrow(/got 8 days/);
  });

  it('may read exactly its token secret and nothing else but its logs and traces', () => {
    const statements = statementsOfRole(operations, canary.function.role);
    const secretStatements = statements.filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:')));
    expect(secretStatements.flatMap((s) => s.actions).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    for (const s of secretStatements) expect(s.resources).toEqual([{ Ref: idOf(operations, canary.tokenSecret) }]);
    const other = statements.filter((s) => !s.actions.some((a) => /^(secretsmanager|logs|xray):/.test(a)));
    expect(other).toEqual([]);
  });
});

describe('OperationsStack rollback action', () => {
  const { operations, api, alarms, data } = testApp({ operations: { deployment: { rollbackWindowMinutes: 20 } } });
  const action = operations.rollbackAction;
  const fnProps = resourceOf(operations, action.function.lambda).Properties;

  it('is triggered by state changes of customers-cannot-write and by CodeDeploy releases of this app', () => {
    const onAlarm = resourceOf(operations, action.onAlarm).Properties.EventPattern;
    expect(onAlarm.source).toEqual(['aws.cloudwatch']);
    expect(onAlarm['detail-type']).toEqual(['CloudWatch Alarm State Change']);
    expect(onAlarm.resources).toHaveLength(1);
    expect(mentions(onAlarm.resources, idOf(alarms, alarms.customersCannotWrite.alarm))).toBe(true);
    const onDeployment = resourceOf(operations, action.onDeployment).Properties.EventPattern;
    expect(onDeployment).toMatchObject({ source: ['aws.codedeploy'], 'detail-type': ['CodeDeploy Deployment State-change Notification'] });
    expect(onDeployment.detail.state).toEqual(['START', 'SUCCESS']);
    expect(mentions(onDeployment.detail.application, idOf(api, api.releases.application))).toBe(true);
  });

  it('knows every API function’s deployment group, alias and the rollback window', () => {
    const raw = fnProps.Environment.Variables;
    expect(raw[OPERATIONS_ENV.rollbackWindowMinutes]).toBe('20');
    expect(mentions(raw[ENV.controlTable], idOf(data, data.controlTable))).toBe(true);
    const targets = JSON.stringify(raw[OPERATIONS_ENV.releaseTargets]);
    for (const fn of Object.values(api.functions)) {
      expect(mentions(targets, idOf(api, fn.release.deploymentGroup))).toBe(true);
      expect(mentions(targets, idOf(api, fn.lambda))).toBe(true);
    }
    expect(targets).toContain('\\"aliasName\\":\\"live\\"');
  });

  it('may read and move only the live aliases, and touch only the release ledger keys of the control table', () => {
    const statements = statementsOfRole(operations, action.function.role);
    const aliasStatements = statements.filter((s) => s.actions.some((a) => a.startsWith('lambda:')));
    expect(aliasStatements.flatMap((s) => s.actions).sort()).toEqual(['lambda:GetAlias', 'lambda:UpdateAlias']);
    const resources = aliasStatements.flatMap((s) => s.resources);
    expect(resources).toHaveLength(2 * Object.keys(api.functions).length);
    for (const fn of Object.values(api.functions)) {
      expect(resources.some((r) => mentions(r, idOf(api, fn.release.alias)))).toBe(true);
      expect(resources.some((r) => mentions(r, idOf(api, fn.lambda)) && !mentions(r, idOf(api, fn.release.alias)))).toBe(true);
    }
    expect(resources).not.toContain('*');

    const policies = Template.fromStack(operations).findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: idOf(operations, action.function.role) }] },
    });
    const dynamo = Object.values(policies)
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[])
      .filter((s) => asArray(s.Action).some((a: string) => a.startsWith('dynamodb:')));
    expect(dynamo).toHaveLength(1);
    expect(asArray(dynamo[0]!.Action).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(dynamo[0]!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RELEASE', 'ROLLBACK#*'] } });
  });
});

describe('OperationsStack Contributor Insights', () => {
  const { operations, api, messaging, data } = testApp();
  const rule = (construct: CfnInsightRule) => {
    const props = Template.fromStack(operations).toJSON().Resources[operations.getLogicalId(construct)].Properties;
    expect(props.RuleState).toBe('ENABLED');
    return {
      name: props.RuleName as string,
      body: JSON.parse(
        props.RuleBody['Fn::Join']
          ? props.RuleBody['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : 'REF')).join('')
          : props.RuleBody,
      ),
      raw: props.RuleBody,
    };
  };
  const insights = operations.contributorInsights;

  it('ranks tenants by requests from the JSON access log', () => {
    const { name, body, raw } = rule(insights.requestsByTenant);
    expect(name).toBe('HeadroomOperations-RequestsByTenant');
    expect(body).toMatchObject({ LogFormat: 'JSON', AggregateOn: 'Count', Contribution: { Keys: ['$.tenantId'] } });
    expect(mentions(raw, idOf(api, api.gateway.accessLogs))).toBe(true);
  });

  it('ranks tenants by 4xx and 5xx answers', () => {
    const { body } = rule(insights.errorsByTenant);
    expect(body.Contribution.Keys).toEqual(['$.tenantId', '$.status']);
    expect(body.Contribution.Filters).toContainEqual({ Match: '$.status', StartsWith: ['4', '5'] });
  });

  it('ranks tenants and groups by jobs from the consumers’ "job applied" lines', () => {
    const { body, raw } = rule(insights.jobsByTenant);
    expect(body.Contribution.Keys).toEqual(['$.tenantId', '$.group']);
    expect(body.Contribution.Filters).toContainEqual({ Match: '$.message', In: ['job applied'] });
    expect(mentions(raw, idOf(messaging, messaging.jobWorker.logGroup))).toBe(true);
  });

  it('turns on DynamoDB Contributor Insights for every shard table (hot partition keys name the tenant)', () => {
    for (const shard of data.shards.shards) {
      expect(resourceOf(data, shard.table).Properties.ContributorInsightsSpecification).toEqual({ Enabled: true });
    }
    expect(resourceOf(data, data.controlTable).Properties.ContributorInsightsSpecification).toBeUndefined();
  });
});
