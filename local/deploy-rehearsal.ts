// The deploy rehearsal: every function of the manifest, as `cdk deploy` would ship it, loaded bare and invoked with
// a real event for its trigger against the embedded engines. The events are the ones the embedded platform itself
// handed the source handlers while serving a short walkthrough (the same API Gateway, stream and queue shapes), so
// each bundle must answer what its source answered. The environment of each bundle is its template's, with every
// reference resolved to a local resource; the AWS-only services behind them are local stand-ins that record what
// the bundles asked (local/aws-service-fakes.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV } from '../lambdas/environment.js';
import { decodeShardTopology, encodeShardTopology } from '../lambdas/core/tenancy/shard-topology.js';
import { FUNCTIONS, functionDefinition, type FunctionName } from '../lambdas/functions.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { OPERATIONS_ENV } from '../lambdas/operations-contract.js';
import { controlKeys, localTableName } from '../lambdas/schema.js';
import { METRICS } from '../lambdas/telemetry.js';
import { startAwsServiceFakes, type AwsServiceFakes, type RecordedRequest } from './aws-service-fakes.js';
import { BundleLoadError, startBareFunction } from './bare-function.js';
import type { CloudAssembly, SynthesizedFunction } from './cloud-assembly.js';
import { scheduledEvent } from './repair-loop.js';
import { startLocalPlatform, type Invocation, type LocalPlatform } from './embedded-platform.js';
import { resolveValue, type ResourceRef } from './template-references.js';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
/** Hosts a reference resolves to where the service is reached over HTTPS on AWS; rewritten to the local stand-in. */
const SEARCH_HOST = 'search.rehearsal.invalid';
const API_ID = 'rehearsal-api';
const secretArn = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}`;

export interface FunctionRehearsal {
  readonly name: FunctionName;
  readonly ok: boolean;
  readonly bundleBytes?: number;
  readonly initMs?: number;
  readonly invokeMs?: number;
  /** What was checked, or why it failed. */
  readonly detail: string;
  /** The AWS-only requests the bundle made (service and operation). */
  readonly awsRequests: readonly string[];
}

export interface RehearsalReport {
  readonly ok: boolean;
  readonly functions: readonly FunctionRehearsal[];
}

export interface RehearsalOptions {
  readonly assembly: CloudAssembly;
  /** Only these functions. @default every function of the manifest */
  readonly only?: readonly FunctionName[];
  readonly log?: (line: string) => void;
}

interface Expectation {
  /** The event, or how to build it from the function's resolved environment. */
  readonly event: unknown;
  readonly eventFrom?: (environment: Readonly<Record<string, string>>) => unknown;
  /** The answer the source gave for the same event, when there is one. */
  readonly source?: unknown;
  /** Checks the bundle's answer (and the AWS requests it made); returns what was checked, or throws. */
  readonly check: (
    result: unknown,
    requests: readonly RecordedRequest[],
    output: readonly string[],
    environment: Readonly<Record<string, string>>,
  ) => string | Promise<string>;
}

type ProxyResult = { statusCode: number; headers?: Record<string, string>; body?: string };

const keysOf = (body: string | undefined): string[] => {
  try {
    const parsed = JSON.parse(body ?? '') as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.keys(parsed).sort() : [];
  } catch {
    return [];
  }
};

/** An API answer matches its source's: same status, content type and top-level fields. */
function sameProxyAnswer(result: unknown, source: unknown): string {
  const [bundle, original] = [result as ProxyResult, source as ProxyResult];
  const type = (answer: ProxyResult) => Object.entries(answer.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  if (bundle?.statusCode !== original.statusCode)
    throw new Error(`answered ${bundle?.statusCode}, the source ${original.statusCode}: ${bundle?.body ?? ''}`);
  if (type(bundle) !== type(original)) throw new Error(`content type ${type(bundle)}, the source ${type(original)}`);
  const [a, b] = [keysOf(bundle.body), keysOf(original.body)];
  if (a.join() !== b.join()) throw new Error(`fields ${a.join(',')}, the source ${b.join(',')}`);
  return `${bundle.statusCode} ${type(bundle) ?? ''} {${a.join(',')}} as from source`;
}

const noFailures = (result: unknown): string => {
  const failures = (result as { batchItemFailures?: unknown[] } | null)?.batchItemFailures;
  if (!Array.isArray(failures)) throw new Error(`answered ${JSON.stringify(result)}, not a partial batch response`);
  if (failures.length > 0) throw new Error(`reported ${failures.length} failed records: ${JSON.stringify(failures)}`);
  return 'every record acknowledged';
};

const requested = (requests: readonly RecordedRequest[], service: RecordedRequest['service'], pattern: RegExp, what: string): string => {
  if (!requests.some((request) => request.service === service && pattern.test(request.operation)))
    throw new Error(`never called ${what}; it called ${requests.map((r) => `${r.service} ${r.operation}`).join(', ') || 'nothing'}`);
  return what;
};

/** Drives a short walkthrough through the embedded platform so every source handler is invoked once at least. */
async function walkthrough(platform: LocalPlatform): Promise<void> {
  const token = platform.demo?.token;
  if (!token) throw new Error('the rehearsal platform has no demo token');
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, admin = false) => {
    const response = await fetch(`${platform.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${admin ? platform.adminToken : token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 500) throw new Error(`${method} ${path} answered ${response.status} from source: ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const conversation = await call(
    'POST',
    '/v1/conversations',
    { subject: 'Rehearsal', body: 'The printer on floor 3 is on fire', author: 'ana@example.com' },
    { 'idempotency-key': 'rehearsal' },
  );
  const id = String(conversation.id);
  await call('POST', `/v1/conversations/${id}/comments`, { body: 'Extinguisher on its way.', author: 'bob@example.com' });
  const doomed = await call('POST', '/v1/conversations', { subject: 'To delete', body: 'spam', author: 'eve@example.com' });
  await call('DELETE', `/v1/conversations/${String(doomed.id)}`);
  await call('GET', '/v1/conversations?limit=5');
  await call('GET', `/v1/conversations/${id}`);
  await call('GET', '/v1/usage');
  await call('POST', `/v1/conversations/${id}/suggest-reply`, { tone: 'friendly' });
  await call('GET', '/healthz');
  for (const path of ['/admin/tenants', '/admin/flags', '/admin/queues', '/admin/search/generations', '/admin/shards', '/admin/llm/routes'])
    await call('GET', path, undefined, {}, true);
  // Searchable once the pipeline (relay → queue → job worker) has indexed it.
  for (let attempt = 0; attempt < 100; attempt++) {
    const hits = await call('GET', '/v1/search?q=printer');
    if (Array.isArray(hits.items) && hits.items.length > 0) return;
    await sleep(100);
  }
  throw new Error('the walkthrough conversation never became searchable on the source platform');
}

export async function rehearseDeploy(options: RehearsalOptions): Promise<RehearsalReport> {
  const log = options.log ?? (() => undefined);
  const dataDir = mkdtempSync(join(tmpdir(), 'headroom-rehearsal-'));
  const captured = new Map<FunctionName, Invocation>();
  let platform: LocalPlatform | undefined;
  let fakes: AwsServiceFakes | undefined;
  try {
    log('starting the embedded platform (sources) to record a real event for each trigger');
    platform = await startLocalPlatform({
      dataDir,
      port: 0,
      onInvoke: (invocation) => {
        if (!captured.has(invocation.name) && invocation.error === undefined) captured.set(invocation.name, invocation);
      },
    });
    await walkthrough(platform);
    // The pipeline's last stages (move replicator, job worker) may still be on their way.
    for (
      let attempt = 0;
      attempt < 100 && !['relay', 'move-replicator', 'job-worker'].every((n) => captured.has(n as FunctionName));
      attempt++
    )
      await sleep(100);

    const cursorKey = String(process.env[ENV.cursorKey]);
    const canaryToken = await createTenant(platform, 'heartbeat-canary');
    fakes = await startAwsServiceFakes({ secrets: { [secretArn('cursor')]: cursorKey, [secretArn('canary-token')]: canaryToken } });
    const expectations = expectationsFor(captured, platform);
    const results: FunctionRehearsal[] = [];
    const selected = FUNCTIONS.filter((definition) => !options.only || options.only.includes(definition.name));
    for (const definition of selected) {
      const synthesized = options.assembly.functions.get(definition.name);
      const expectation = expectations[definition.name];
      if (!synthesized) {
        results.push({ name: definition.name, ok: false, detail: 'not in the synthesized app', awsRequests: [] });
        continue;
      }
      if (!expectation) {
        results.push({
          name: definition.name,
          ok: false,
          detail: 'the walkthrough never invoked it, so there is no event to replay',
          awsRequests: [],
        });
        continue;
      }
      const result = await rehearseOne(synthesized, expectation, options.assembly, platform, fakes);
      log(`${result.ok ? 'ok  ' : 'FAIL'} ${definition.name}: ${result.detail}`);
      results.push(result);
    }
    return { ok: results.every((result) => result.ok), functions: results };
  } finally {
    await fakes?.stop();
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function createTenant(platform: LocalPlatform, tenantId: string): Promise<string> {
  const response = await fetch(`${platform.url}/admin/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${platform.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: tenantId }),
  });
  const body = (await response.json()) as { token?: string };
  if (!response.ok || !body.token) throw new Error(`could not create the ${tenantId} tenant: ${response.status} ${JSON.stringify(body)}`);
  return body.token;
}

function expectationsFor(
  captured: ReadonlyMap<FunctionName, Invocation>,
  platform: LocalPlatform,
): Partial<Record<FunctionName, Expectation>> {
  const expectations: Partial<Record<FunctionName, Expectation>> = {};
  for (const [name, invocation] of captured) {
    const { trigger } = functionDefinition(name);
    if (trigger.kind === 'api') {
      expectations[name] = {
        event: invocation.event,
        source: invocation.result,
        check: (result, requests) => {
          const answer = sameProxyAnswer(result, invocation.result);
          if (name === 'search')
            return `${answer}; ${requested(requests, 'opensearch', /^POST \/headroom-conversations-[^/]+\/_search$/, 'POST <generation index>/_search')}`;
          return answer;
        },
      };
    } else if (trigger.kind === 'authorizer') {
      expectations[name] = {
        event: invocation.event,
        check: (result) => {
          const decision = result as {
            principalId?: string;
            context?: Record<string, unknown>;
            policyDocument?: { Statement: { Effect: string }[] };
          };
          const original = invocation.result as typeof decision;
          if (decision?.context?.tenantId !== original.context?.tenantId) throw new Error(`authorised ${JSON.stringify(decision)}`);
          if (decision.policyDocument?.Statement[0]?.Effect !== 'Allow') throw new Error('did not allow the tenant');
          return `Allow for tenant ${String(decision.context?.tenantId)}`;
        },
      };
    } else if (trigger.kind === 'shard-streams') {
      expectations[name] = { event: invocation.event, check: noFailures };
    } else if (trigger.kind === 'queues') {
      expectations[name] = {
        event: invocation.event,
        check: (result, requests) =>
          `${noFailures(result)}; ${requested(requests, 'opensearch', /^(POST|PUT) \/headroom-conversations-[^/]+\/_bulk$/, '<generation index>/_bulk')}`,
      };
    }
  }
  // The runner's loop input, for a migration that does not exist: the step must load, read the control table and say done.
  expectations['migration-step'] = {
    event: { migrationId: 'rehearsal-none' },
    check: (result) => {
      if (JSON.stringify(result) !== JSON.stringify({ migrationId: 'rehearsal-none', done: true, waitSeconds: 0 }))
        throw new Error(`answered ${JSON.stringify(result)}`);
      return 'done for an unknown migration, as from source';
    },
  };
  // EventBridge's scheduled event: one synthetic round trip through the embedded API, published as the canary's success.
  const canarySuccess = METRICS.canarySuccess.name;
  expectations['heartbeat-canary'] = {
    event: {
      version: '0',
      id: 'rehearsal',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      time: new Date().toISOString(),
      region: REGION,
      resources: [],
      detail: {},
    },
    check: (_result, requests, output) => {
      requested(requests, 'secretsmanager', /^GetSecretValue$/, 'GetSecretValue');
      const success = output
        .map((line) => new RegExp(`"${canarySuccess}":\\s*([01])`).exec(line)?.[1])
        .find((value) => value !== undefined);
      if (success !== '1')
        throw new Error(
          `published ${canarySuccess} ${success ?? 'never'}: ${output
            .filter((l) => l.includes('canary'))
            .slice(-2)
            .join(' | ')}`,
        );
      return `round trip through ${platform.url} succeeded (${canarySuccess} 1)`;
    },
  };
  // EventBridge's scheduled event: the repair function continues (or starts) a pass over the walkthrough's tenants.
  expectations.repair = {
    event: { ...scheduledEvent(new Date()), account: ACCOUNT, region: REGION },
    check: (result) => {
      const outcome = result as { status?: string };
      if (!['idle', 'progress', 'completed', 'superseded'].includes(String(outcome?.status)))
        throw new Error(`answered ${JSON.stringify(result)}`);
      return `repair tick answered ${String(outcome.status)}`;
    },
  };
  // CodeDeploy's state change for a release of one of the aliases it manages starting: the rollback action reads the
  // alias's current version and records the release in the ledger.
  const releaseTargets = (environment: Readonly<Record<string, string>>) =>
    Object.entries(JSON.parse(environment[OPERATIONS_ENV.releaseTargets] ?? '{}') as Record<string, { functionName: string }>);
  expectations['rollback-action'] = {
    event: undefined,
    eventFrom: (environment) => ({
      version: '0',
      id: 'rehearsal',
      'detail-type': 'CodeDeploy Deployment State-change Notification',
      source: 'aws.codedeploy',
      time: new Date().toISOString(),
      region: REGION,
      detail: {
        deploymentGroup: releaseTargets(environment)[0]?.[0],
        deploymentId: 'd-REHEARSAL',
        state: 'START',
        application: 'rehearsal',
      },
    }),
    check: async (_result, requests, _output, environment) => {
      const [, target] = releaseTargets(environment)[0] ?? [];
      if (!target) throw new Error('its environment names no released aliases');
      requested(requests, 'lambda', new RegExp(`^GET /2015-03-31/functions/${target.functionName}/aliases/`), 'GetAlias');
      const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: platform.dynamoEndpoint }));
      const { Item } = await doc.send(new GetCommand({ TableName: localTableName.control, Key: controlKeys.release(target.functionName) }));
      doc.destroy();
      if (Item?.deploymentId !== 'd-REHEARSAL') throw new Error(`the release ledger holds ${JSON.stringify(Item ?? null)}`);
      return `release of ${target.functionName} recorded in the ledger (previous version ${String(Item.previousVersion)})`;
    },
  };
  return expectations;
}

/** Local values for the resources a template's environment refers to. */
function localResource(platform: LocalPlatform) {
  return (ref: ResourceRef): string | undefined => {
    const { resource, path, attribute, logicalId } = ref;
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table': {
        const shard = /\/Shards\/(shard-\d+)\//.exec(path)?.[1];
        const table = shard ? localTableName.shard(shard) : /\/Control\//.test(path) ? localTableName.control : undefined;
        if (!table) return undefined;
        return attribute ? `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}` : table;
      }
      case 'AWS::SQS::Queue': {
        const match = /\/(jobs(?:-overflow)?)\/(Queue|DeadLetterQueue)\//.exec(path);
        if (!match) return undefined;
        const name = match[2] === 'Queue' ? match[1]! : `${match[1]!}-dlq`;
        return attribute === 'Arn' ? platform.sqs.queueArn(name) : platform.sqs.queueUrl(name);
      }
      case 'AWS::SecretsManager::Secret':
        if (/\/CursorSecret\//.test(path)) return secretArn('cursor');
        if (/\/Canary\/Token\//.test(path)) return secretArn('canary-token');
        return undefined;
      case 'AWS::OpenSearchService::Domain':
        if (attribute === 'DomainEndpoint') return SEARCH_HOST;
        return attribute ? `arn:aws:es:${REGION}:${ACCOUNT}:domain/headroom-rehearsal` : 'headroom-rehearsal';
      case 'AWS::ApiGateway::RestApi':
        return API_ID;
      case 'AWS::ApiGateway::Stage':
        return String(resource.Properties?.StageName);
      case 'AWS::Lambda::Function':
      case 'AWS::CodeDeploy::DeploymentGroup':
        return logicalId;
      case 'AWS::CloudWatch::CompositeAlarm':
        return String(resource.Properties?.AlarmName ?? logicalId);
      default:
        return undefined;
    }
  };
}

async function rehearseOne(
  fn: SynthesizedFunction,
  expectation: Expectation,
  assembly: CloudAssembly,
  platform: LocalPlatform,
  fakes: AwsServiceFakes,
): Promise<FunctionRehearsal> {
  const base = { name: fn.name, awsRequests: [] as string[] };
  let environment: Record<string, string>;
  try {
    const resolveResource = localResource(platform);
    environment = Object.fromEntries(
      Object.entries(fn.environment).map(([name, value]) => [
        name,
        resolveValue(value, fn.stack, { templates: assembly.templates, resolveResource, region: REGION, accountId: ACCOUNT }, name)
          .replaceAll(`https://${SEARCH_HOST}`, fakes.url)
          // The stage's URL on AWS is the bridge's root locally (the bridge serves the stage at /).
          .replace(new RegExp(`^https://${API_ID}\\.execute-api\\.${REGION}\\.amazonaws\\.com/[^/]+/`), `${platform.url}/`),
      ]),
    );
    // The template names the shard tables `headroom-<stage>-shard-<n>`; here they are the local ones.
    const shards = environment[ENV.shards];
    if (shards !== undefined) {
      const topology = decodeShardTopology(shards).map((shard) => ({ ...shard, table: localTableName.shard(shard.name) }));
      environment[ENV.shards] = encodeShardTopology(topology);
    }
  } catch (error) {
    return { ...base, ok: false, detail: `its environment does not resolve: ${(error as Error).message}` };
  }
  const bedrock = platform.simulator?.bedrockEndpoint('sim-bedrock');
  let bare;
  try {
    bare = await startBareFunction({
      name: fn.name,
      assetDir: fn.assetDir,
      handler: fn.handler,
      timeoutSeconds: Math.min(fn.timeoutSeconds, 60),
      environment: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...environment,
        AWS_REGION: REGION,
        AWS_DEFAULT_REGION: REGION,
        AWS_ACCESS_KEY_ID: 'rehearsal',
        AWS_SECRET_ACCESS_KEY: 'rehearsal',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'WARN',
        AWS_ENDPOINT_URL_DYNAMODB: platform.dynamoEndpoint,
        AWS_ENDPOINT_URL_SQS: platform.sqs.endpoint,
        ...Object.fromEntries(
          ['SECRETS_MANAGER', 'SFN', 'CLOUDWATCH', 'LAMBDA', 'API_GATEWAY', 'OPENSEARCH'].map((service) => [
            `AWS_ENDPOINT_URL_${service}`,
            fakes.url,
          ]),
        ),
        ...(bedrock ? { AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock } : {}),
      },
    });
  } catch (error) {
    return { ...base, ok: false, detail: error instanceof BundleLoadError ? error.message : `does not start: ${(error as Error).message}` };
  }
  try {
    fakes.requests.length = 0;
    const { result, durationMs } = await bare.invoke(expectation.eventFrom ? expectation.eventFrom(environment) : expectation.event);
    const requests = [...fakes.requests];
    const awsRequests = [...new Set(requests.map((request) => `${request.service} ${request.operation}`))];
    try {
      const detail = await expectation.check(result, requests, bare.output(), environment);
      return { name: fn.name, ok: true, bundleBytes: bare.bundleBytes, initMs: bare.initMs, invokeMs: durationMs, detail, awsRequests };
    } catch (error) {
      return {
        name: fn.name,
        ok: false,
        bundleBytes: bare.bundleBytes,
        initMs: bare.initMs,
        invokeMs: durationMs,
        detail: (error as Error).message,
        awsRequests,
      };
    }
  } catch (error) {
    const output = bare.output().slice(-3).join(' | ');
    return {
      ...base,
      ok: false,
      bundleBytes: bare.bundleBytes,
      initMs: bare.initMs,
      detail: `${(error as Error).message}${output ? ` (last output: ${output})` : ''}`,
    };
  } finally {
    bare.stop();
  }
}
