// The REST API in front of every Headroom function, built from the route table in lambdas/routes.ts. It holds
// the edge's secure defaults in one place: JSON access logs that name the tenant, tracing and metrics, a stage
// throttle above everything, per-tier usage plans fed by the token authorizer, and problem+json for the
// errors API Gateway answers itself (so callers see one error shape, whoever answered).
import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  ApiKeySourceType,
  AuthorizationType,
  EndpointType,
  IdentitySource,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Period,
  ResponseType,
  RestApi,
  TokenAuthorizer,
  type Method,
  type MethodOptions,
  type Model,
  type RequestValidator,
  type ThrottleSettings,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { Policy, PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Problem } from '../../lambdas/core/problems.js';
import { TIERS, type Tier } from '../../lambdas/core/tenancy/tiers.js';
import type { Route } from '../../lambdas/routes.js';
import { acknowledgeControl, acknowledgeLogGroup, CONTROLS } from '../policy-validation.js';

export interface TierLimits {
  /** Steady-state requests per second for one tenant. */
  readonly rateLimit: number;
  /** Burst bucket size for one tenant. */
  readonly burstLimit: number;
  /** Requests per day for one tenant. */
  readonly quotaPerDay: number;
}

export interface GatewayApiProps {
  readonly stageName: string;
  /** Stage-wide throttle: the ceiling above every usage plan. */
  readonly throttle: Required<ThrottleSettings>;
  /** TOKEN authorizer: turns the bearer token in `Authorization` into a tenant. */
  readonly authorizer: IFunction;
  /** How long API Gateway caches the authorizer's decision for one token (zero disables the cache). */
  readonly authorizerCacheTtl: Duration;
  /** One usage plan per tier; the authorizer's `usageIdentifierKey` picks the tenant's API key. */
  readonly tiers: Readonly<Record<Tier, TierLimits>>;
  /** Retention of the access logs. */
  readonly logRetention: RetentionDays;
  /**
   * What happens to the access log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

export class GatewayApi extends Construct {
  readonly restApi: RestApi;
  readonly authorizer: TokenAuthorizer;
  readonly usagePlans: Readonly<Record<Tier, UsagePlan>>;
  readonly accessLogs: LogGroup;
  private readonly bodyValidator: RequestValidator;
  private readonly jsonObject: Model;
  private readonly integrations = new Map<IFunction, LambdaIntegration>();

  constructor(scope: Construct, id: string, props: GatewayApiProps) {
    super(scope, id);

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    acknowledgeLogGroup(this.accessLogs, 'API access logs');
    this.restApi = new RestApi(this, 'RestApi', {
      restApiName: Stack.of(this).stackName,
      description: 'Headroom public and admin API',
      endpointTypes: [EndpointType.REGIONAL],
      // Usage plans meter the API key whose value the token authorizer returns as usageIdentifierKey.
      apiKeySourceType: ApiKeySourceType.AUTHORIZER,
      // Execution logging (below) needs the account-level API Gateway role; a fresh account has none.
      cloudWatchRole: true,
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        // Request and response bodies are customer content: they stay out of execution logs.
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: ACCESS_LOG_FORMAT,
      },
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The account-level role API Gateway assumes to write execution logs; AWS maintains this purpose-built ' +
        'policy for exactly that role, and no Headroom code can assume it.',
    });
    Validations.of(this.restApi.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'Abuse is bounded in the API itself: every tenant route needs a valid bearer token and is metered by its ' +
        "tier's usage plan, admin routes need SigV4, and the stage throttle caps the total. A WAF web ACL is an " +
        'account-level edge decision (Firewall Manager) rather than part of this app.',
    });

    // A false positive of the rule's parser: every permission API Gateway gets on a function names its source as
    // an Fn::Join of this API's execute-api ARN (stage, method and path), which the rule cannot read as a string.
    const permissionReason =
      'Each permission lets only apigateway.amazonaws.com invoke, with SourceArn set to this REST API (its own ' +
      'execute-api ARN for the method and path, or for the authorizer); the rule reads SourceArn only as a literal ' +
      'string or a Ref, and CloudFormation builds this ARN with Fn::Join, so the check cannot see it.';
    acknowledgeControl(this.restApi, CONTROLS.lambdaPublicAccess, permissionReason);
    acknowledgeControl(props.authorizer, CONTROLS.lambdaPublicAccess, permissionReason);

    this.authorizer = new TokenAuthorizer(this, 'TokenAuthorizer', {
      handler: props.authorizer,
      identitySource: IdentitySource.header('Authorization'),
      resultsCacheTtl: props.authorizerCacheTtl,
    });

    this.usagePlans = Object.fromEntries(
      TIERS.map((tier) => {
        const limits = props.tiers[tier];
        const plan = this.restApi.addUsagePlan(`UsagePlan-${tier}`, {
          name: this.usagePlanName(tier),
          description: `Per-tenant limits of the ${tier} tier`,
          throttle: { rateLimit: limits.rateLimit, burstLimit: limits.burstLimit },
          quota: { limit: limits.quotaPerDay, period: Period.DAY },
          apiStages: [{ api: this.restApi, stage: this.restApi.deploymentStage }],
        });
        return [tier, plan];
      }),
    ) as Record<Tier, UsagePlan>;

    // Bodies that are not even a JSON object are turned away before they cost a function invocation; the
    // functions' own schemas (shared with the CLI) remain the one place that knows the fields.
    this.bodyValidator = this.restApi.addRequestValidator('BodyValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    this.jsonObject = this.restApi.addModel('JsonObject', {
      contentType: 'application/json',
      schema: { schema: JsonSchemaVersion.DRAFT4, title: 'JsonObject', type: JsonSchemaType.OBJECT },
    });

    for (const { responseType, problem } of GATEWAY_PROBLEMS) {
      this.restApi.addGatewayResponse(`Problem-${problem.slug}`, {
        type: responseType,
        statusCode: String(problem.status),
        responseHeaders: { 'Content-Type': "'application/problem+json'" },
        templates: { 'application/json': JSON.stringify(problem.toDocument()) },
      });
    }
  }

  /** The invoke URL of the stage, ending in a slash. */
  get url(): string {
    return this.restApi.url;
  }

  /** Adds one row of the route table: method, path, authorisation and the function that answers it. */
  addRoute(route: Route, handler: IFunction): Method {
    const resource = this.restApi.root.resourceForPath(route.path);
    const method = resource.addMethod(route.method, this.integrationFor(handler), this.methodOptions(route));
    switch (route.auth) {
      case 'tenant':
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason:
            'Tenants are API integrations, not Cognito users: they present an opaque bearer token that the Lambda ' +
            'TOKEN authorizer checks against its hash in the control table.',
        });
        break;
      case 'admin':
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason: 'Admin routes use IAM authorisation: operators and the CLI sign requests with SigV4.',
        });
        break;
      case 'none':
        Validations.of(method).acknowledge(
          {
            id: 'AwsSolutions-APIG4',
            reason: `${route.method} ${route.path} is the unauthenticated liveness probe: it reads no data and returns no tenant information.`,
          },
          {
            id: 'AwsSolutions-COG4',
            reason: `${route.method} ${route.path} is the unauthenticated liveness probe: it reads no data and returns no tenant information.`,
          },
        );
        break;
    }
    return method;
  }

  private methodOptions(route: Route): MethodOptions {
    switch (route.auth) {
      case 'tenant':
        return {
          authorizer: this.authorizer,
          authorizationType: AuthorizationType.CUSTOM,
          // Without this the usage plans would meter nothing.
          apiKeyRequired: true,
          ...(route.method === 'POST'
            ? { requestValidator: this.bodyValidator, requestModels: { 'application/json': this.jsonObject } }
            : {}),
        };
      case 'admin':
        return { authorizationType: AuthorizationType.IAM };
      case 'none':
        return { authorizationType: AuthorizationType.NONE };
    }
  }

  private integrationFor(handler: IFunction): LambdaIntegration {
    let integration = this.integrations.get(handler);
    if (!integration) {
      integration = new LambdaIntegration(handler);
      this.integrations.set(handler, integration);
    }
    return integration;
  }

  /**
   * Lets the role find the tier usage plans, create tenant API keys and attach them to those plans (and no
   * other plan). A standalone policy on purpose: a function never waits for it, so a function behind this API
   * can hold it without a dependency cycle (its method → deployment → stage → usage plan → its policy).
   */
  grantIssueUsageKeys(role: IRole): Policy {
    const stack = Stack.of(this);
    const arn = (path: string) =>
      stack.formatArn({ service: 'apigateway', account: '', resource: path, arnFormat: ArnFormat.NO_RESOURCE_NAME });
    return new Policy(this, `IssueUsageKeys${Names.nodeUniqueId(role.node)}`, {
      roles: [role],
      statements: [
        new PolicyStatement({ actions: ['apigateway:GET'], resources: [arn('/usageplans')] }),
        new PolicyStatement({
          actions: ['apigateway:POST'],
          resources: [arn('/apikeys'), ...TIERS.map((tier) => arn(`/usageplans/${this.usagePlans[tier].usagePlanId}/keys`))],
        }),
      ],
    });
  }

  /**
   * `{ tier: usagePlanName }` for HEADROOM_USAGE_PLANS. Names, not ids: names are known before the plans exist,
   * so a function behind this API can carry them (an id would close the cycle described above).
   */
  usagePlanNames(): Record<Tier, string> {
    return Object.fromEntries(TIERS.map((tier) => [tier, this.usagePlanName(tier)])) as Record<Tier, string>;
  }

  private usagePlanName(tier: Tier): string {
    return `${Stack.of(this).stackName}-${tier}`;
  }
}

/** Errors API Gateway answers without calling a function, as the same RFC 9457 documents the functions send. */
const GATEWAY_PROBLEMS = [
  {
    responseType: ResponseType.BAD_REQUEST_BODY,
    problem: new Problem('validation-failed', 'The request body must be a JSON object; see the API reference for its fields.'),
  },
  {
    responseType: ResponseType.UNAUTHORIZED,
    problem: new Problem('unauthorized', 'Send a valid tenant API token as "Authorization: Bearer <token>".'),
  },
  {
    responseType: ResponseType.THROTTLED,
    problem: new Problem('rate-limited', "Requests are arriving faster than this tenant's tier allows; retry with backoff."),
  },
  {
    responseType: ResponseType.QUOTA_EXCEEDED,
    problem: new Problem(
      'quota-exceeded',
      "This tenant has used its tier's daily request quota; requests are accepted again after the daily reset.",
    ),
  },
];

const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: AccessLogField.contextRequestId(),
    extendedRequestId: AccessLogField.contextExtendedRequestId(),
    requestTime: AccessLogField.contextRequestTime(),
    ip: AccessLogField.contextIdentitySourceIp(),
    userAgent: AccessLogField.contextIdentityUserAgent(),
    caller: AccessLogField.contextIdentityCaller(),
    userArn: AccessLogField.contextIdentityUserArn(),
    tenantId: AccessLogField.contextAuthorizer('tenantId'),
    httpMethod: AccessLogField.contextHttpMethod(),
    resourcePath: AccessLogField.contextResourcePath(),
    protocol: AccessLogField.contextProtocol(),
    status: AccessLogField.contextStatus(),
    responseLength: AccessLogField.contextResponseLength(),
    responseLatency: AccessLogField.contextResponseLatency(),
    integrationLatency: AccessLogField.contextIntegrationLatency(),
    authorizerLatency: AccessLogField.contextAuthorizerIntegrationLatency(),
    errorType: AccessLogField.contextErrorResponseType(),
    errorMessage: AccessLogField.contextErrorMessage(),
    xrayTraceId: AccessLogField.contextXrayTraceId(),
  }),
);
