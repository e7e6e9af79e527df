// Who is loading the platform, by tenant, from the structured logs: CloudWatch Contributor Insights ranks the top
// tenants by API requests and by failed requests (API Gateway's JSON access log, which names the tenant the
// authorizer resolved) and the top tenants and groups by background jobs (the consumers' `job applied` lines).
// Tenant ids stay out of metric dimensions; these rules are where per-tenant load is visible instead.
import { Stack } from 'aws-cdk-lib';
import { CfnInsightRule } from 'aws-cdk-lib/aws-cloudwatch';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface TenantContributorInsightsProps {
  /** The API stage's JSON access log (fields `tenantId`, `status`, `resourcePath`). */
  readonly accessLogs: ILogGroup;
  /** The job consumers' Powertools logs. */
  readonly jobLogs: readonly ILogGroup[];
}

type RuleBody = Record<string, unknown>;

const jsonRule = (logGroupNames: readonly string[], keys: readonly string[], filters: readonly Record<string, unknown>[]): RuleBody => ({
  Schema: { Name: 'CloudWatchLogRule', Version: 1 },
  LogGroupNames: logGroupNames,
  LogFormat: 'JSON',
  Contribution: { Keys: keys, Filters: filters },
  AggregateOn: 'Count',
});

export class TenantContributorInsights extends Construct {
  readonly requestsByTenant: CfnInsightRule;
  readonly errorsByTenant: CfnInsightRule;
  readonly jobsByTenant: CfnInsightRule;

  constructor(scope: Construct, id: string, props: TenantContributorInsightsProps) {
    super(scope, id);
    if (props.jobLogs.length === 0) throw new Error('tenant contributor insights need at least one job log group, got none');
    const prefix = Stack.of(this).stackName;
    const accessLogs = [props.accessLogs.logGroupName];
    const tenantPresent = { Match: '$.tenantId', IsPresent: true };

    const rule = (name: string, body: RuleBody) =>
      new CfnInsightRule(this, name, { ruleName: `${prefix}-${name}`, ruleState: 'ENABLED', ruleBody: JSON.stringify(body) });

    this.requestsByTenant = rule('RequestsByTenant', jsonRule(accessLogs, ['$.tenantId'], [tenantPresent]));
    // 4xx included: a tenant hammering with bad tokens or over its quota is as much on-call's business as a 5xx.
    this.errorsByTenant = rule(
      'ErrorsByTenant',
      jsonRule(accessLogs, ['$.tenantId', '$.status'], [tenantPresent, { Match: '$.status', StartsWith: ['4', '5'] }]),
    );
    this.jobsByTenant = rule(
      'JobsByTenant',
      jsonRule(
        props.jobLogs.map((group) => group.logGroupName),
        ['$.tenantId', '$.group'],
        [
          { Match: '$.message', In: ['job applied'] },
          { Match: '$.tenantId', IsPresent: true },
        ],
      ),
    );
  }
}
