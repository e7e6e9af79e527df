// The Control Tower proactive controls (cfn-guard) every template must pass at synth, beside cdk-nag. No rule is
// disabled for the whole app: a finding accepted for a resource is acknowledged on that resource (and what it
// contains) with the reason a reviewer reads, by the construct that decided the setting. Acknowledgements are
// construct-path based (`Validations.of(x).acknowledge`), so they also reach resources CDK creates inside `x`.
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { Validations } from 'aws-cdk-lib';
import type { CfnLogGroup, LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';

/** The plugin's name, and so the namespace of its rule ids in acknowledgements. */
export const CFN_GUARD_PLUGIN = 'cdk-validator-cfnguard';

/** The Control Tower rules Headroom acknowledges somewhere, by the guard rule name findings carry. */
export const CONTROLS = {
  /** CT.CLOUDWATCH.PR.1: an alarm must have an action. */
  alarmAction: 'cloudwatch_alarm_action_check',
  /** CT.CLOUDWATCH.PR.2: a log group must be kept for at least a year. */
  logRetention: 'cloudwatch_log_group_retention_period_check',
  /** CT.CLOUDWATCH.PR.3: a log group must be encrypted with a KMS key. */
  logEncryption: 'cloudwatch_log_group_encrypted_check',
  /** CT.LAMBDA.PR.2: a Lambda permission for a service principal must name its source as a literal or a local reference. */
  lambdaPublicAccess: 'lambda_function_public_access_prohibited_check',
  /** CT.LAMBDA.PR.3: a function must run in a VPC. */
  lambdaInVpc: 'lambda_inside_vpc_check',
  /** CT.SQS.PR.1: a queue must have a dead-letter queue. */
  sqsDeadLetterQueue: 'sqs_dlq_check',
  /** CT.OPENSEARCH.PR.10: a domain must be in a VPC. */
  openSearchInVpc: 'opensearch_in_vpc_only_check',
  /** CT.OPENSEARCH.PR.13: a domain must publish audit logs. */
  openSearchAuditLogs: 'opensearch_audit_logging_enabled_check',
  /** CT.OPENSEARCH.PR.14: a domain must have zone awareness and at least three data nodes. */
  openSearchDataNodeFaultTolerance: 'opensearch_data_node_fault_tolerance_check',
  /** CT.OPENSEARCH.PR.15: a domain must use fine-grained access control. */
  openSearchFineGrainedAccess: 'opensearch_fine_grained_access_control_enabled_check',
} as const;
export type Control = (typeof CONTROLS)[keyof typeof CONTROLS];

/** The bundled Control Tower rules; guard's JSON report for six templates outgrows Node's 1 MB default buffer. */
export function controlTowerValidator(): CfnGuardValidator {
  return new CfnGuardValidator({ maxBuffer: 64 * 1024 * 1024 });
}

/** Accepts a Control Tower finding on `scope` and everything below it, with the reason a reviewer will read. */
export function acknowledgeControl(scope: IConstruct, rule: Control, reason: string): void {
  Validations.of(scope).acknowledge({ id: `${CFN_GUARD_PLUGIN}::${rule}`, reason });
}

/** CT.CLOUDWATCH.PR.2 asks for this many days (or never expire). */
const YEAR_OF_LOGS = 365;

/**
 * What every Headroom log group accepts: CloudWatch Logs' own encryption at rest, and, when shorter than a year,
 * the configured retention (`logRetentionDays`). Called by the construct that creates the log group.
 */
export function acknowledgeLogGroup(logGroup: LogGroup, what: string): void {
  acknowledgeControl(
    logGroup,
    CONTROLS.logEncryption,
    `${what}: CloudWatch Logs encrypts every log group at rest (AES-256, service keys) whatever this setting; a ` +
      'customer managed key would add a second gate on reading, which IAM (logs:GetLogEvents, granted to no ' +
      'Headroom role) already is, for a key per region to pay for and keep usable by the logs service.',
  );
  const days = (logGroup.node.defaultChild as CfnLogGroup).retentionInDays;
  if (days !== undefined && days < YEAR_OF_LOGS) {
    acknowledgeControl(
      logGroup,
      CONTROLS.logRetention,
      `${what}: kept ${days} days, the operator's \`logRetentionDays\`. These are operational logs holding customer ` +
        'metadata (tenant ids, paths, errors), kept no longer than needed to debug; the durable record lives in ' +
        'DynamoDB (PITR) and CloudTrail. Set logRetentionDays to 365 or more where a year of logs is required.',
    );
  }
}

/**
 * What every Headroom function accepts: no VPC (every dependency is an AWS API reached over TLS with SigV4, and
 * IAM scopes each role), and its log group's settings. Called by lib/constructs/handler-function.ts, where these
 * defaults are decided.
 */
export function acknowledgeFunction(fn: { readonly lambda: IConstruct; readonly logGroup: LogGroup }, what: string): void {
  acknowledgeControl(
    fn.lambda,
    CONTROLS.lambdaInVpc,
    `${what}: it calls only AWS APIs (DynamoDB, SQS, the OpenSearch domain, Step Functions, Bedrock, CloudWatch) ` +
      'over TLS with SigV4, each scoped by its IAM role; no resource of this app lives in a VPC. A VPC would add ' +
      'NAT gateways or an interface endpoint per service per zone, and ENI cold starts, with no resource to protect.',
  );
  acknowledgeLogGroup(fn.logGroup, what);
}
