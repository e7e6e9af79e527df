// Stand-ins for the AWS-only services a shipped bundle calls, for the deploy rehearsal: Secrets Manager
// (GetSecretValue), Step Functions (StartExecution), CloudWatch (GetMetricData), Lambda (GetAlias, UpdateAlias),
// API Gateway usage keys, and an OpenSearch domain's data plane. Each answers the smallest valid response and
// records the request, so the rehearsal can assert the shapes the bundles send; none of them is used by tests of
// behaviour, which run on the real local engines.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface RecordedRequest {
  readonly service: 'secretsmanager' | 'stepfunctions' | 'cloudwatch' | 'lambda' | 'apigateway' | 'opensearch';
  readonly method: string;
  readonly path: string;
  /** The JSON protocols' operation (`GetSecretValue`); for REST services, the method and path. */
  readonly operation: string;
  readonly body: string;
}

export interface AwsServiceFakes {
  /** Base URL for every AWS_ENDPOINT_URL_<SERVICE> and for the search domain's endpoint. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  stop(): Promise<void>;
}

export interface AwsServiceFakesOptions {
  /** SecretString by secret id (the ARN the template's reference resolved to). */
  readonly secrets: Readonly<Record<string, string>>;
}

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** One `_bulk` answer item per action line (every other line of an index/delete body is a document). */
function bulkItems(body: string): unknown[] {
  const lines = body.split('\n').filter((line) => line.trim() !== '');
  const items: unknown[] = [];
  for (let index = 0; index < lines.length; index++) {
    const action = JSON.parse(lines[index] as string) as Record<string, { _id?: string }>;
    const [kind, meta] = Object.entries(action)[0] ?? ['index', {}];
    items.push({ [kind]: { _id: meta?._id, status: kind === 'delete' ? 200 : 201, result: 'created', _version: 1 } });
    if (kind !== 'delete') index++;
  }
  return items;
}

export async function startAwsServiceFakes(options: AwsServiceFakesOptions): Promise<AwsServiceFakes> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const method = request.method ?? 'GET';
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      const target = String(request.headers['x-amz-target'] ?? '');
      const reply = (status: number, value: unknown, contentType = 'application/x-amz-json-1.1') => {
        response.writeHead(status, { 'content-type': contentType });
        response.end(value === undefined ? '' : JSON.stringify(value));
      };
      const record = (service: RecordedRequest['service'], operation: string) => requests.push({ service, method, path, operation, body });

      if (target.startsWith('secretsmanager.')) {
        record('secretsmanager', target.split('.')[1] ?? target);
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        const value = options.secrets[SecretId];
        if (value === undefined) return reply(400, { __type: 'ResourceNotFoundException', message: `no secret ${SecretId}` });
        return reply(200, { ARN: SecretId, Name: SecretId, SecretString: value, VersionId: 'rehearsal' });
      }
      if (target.startsWith('AWSStepFunctions.')) {
        record('stepfunctions', target.split('.')[1] ?? target);
        return reply(
          200,
          { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:rehearsal:1', startDate: Date.now() / 1000 },
          'application/x-amz-json-1.0',
        );
      }
      if (target.startsWith('GraniteServiceVersion20100801.')) {
        record('cloudwatch', target.split('.')[1] ?? target);
        const { MetricDataQueries = [] } = JSON.parse(body) as { MetricDataQueries?: { Id: string }[] };
        return reply(
          200,
          { MetricDataResults: MetricDataQueries.map(({ Id }) => ({ Id, Label: Id, Timestamps: [], Values: [], StatusCode: 'Complete' })) },
          'application/x-amz-json-1.0',
        );
      }
      const alias = /^\/2015-03-31\/functions\/([^/]+)\/aliases\/([^/]+)$/.exec(path);
      if (alias) {
        record('lambda', `${method} ${path}`);
        const [, fn, name] = alias;
        return reply(
          200,
          {
            AliasArn: `arn:aws:lambda:us-east-1:000000000000:function:${fn}:${name}`,
            Name: name,
            FunctionVersion: '2',
            RevisionId: 'rehearsal',
          },
          'application/json',
        );
      }
      if (path.startsWith('/apikeys') || path.startsWith('/usageplans')) {
        record('apigateway', `${method} ${path}`);
        if (method === 'GET') return reply(200, { item: [] }, 'application/json');
        return reply(201, { id: 'rehearsal-key', value: 'rehearsal-key-value' }, 'application/json');
      }
      // Everything else is the search domain's data plane.
      record('opensearch', `${method} ${path}`);
      const json = (status: number, value: unknown) => reply(status, value, 'application/json');
      if (path === '/_cluster/health') return json(200, { status: 'green', unassigned_shards: 0, number_of_nodes: 1 });
      if (path.endsWith('/_bulk')) return json(200, { took: 1, errors: false, items: bulkItems(body) });
      if (path.endsWith('/_search'))
        return json(200, { took: 1, timed_out: false, hits: { total: { value: 0, relation: 'eq' }, max_score: null, hits: [] } });
      if (path.endsWith('/_mget')) {
        const { ids = [] } = (body ? JSON.parse(body) : {}) as { ids?: string[] };
        return json(200, { docs: ids.map((id) => ({ _id: id, found: false })) });
      }
      if (path.endsWith('/_count')) return json(200, { count: 0 });
      if (method === 'HEAD' || method === 'GET') return json(200, {});
      return json(200, { acknowledged: true });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
