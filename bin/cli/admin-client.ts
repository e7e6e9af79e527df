// The CLI's only way to act: HTTP calls to the admin API. Locally it presents the platform's admin token; on AWS
// it signs each call with SigV4 using the caller's own credentials (the admin routes are IAM-authorised).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SignatureV4 } from '@smithy/signature-v4';
import { API_URL_OUTPUT } from '../../lib/stack-names.js';

/** The local platform, unless HEADROOM_ENDPOINT (or PORT, as `npm start` reads it) says otherwise. */
export const DEFAULT_ENDPOINT = process.env.HEADROOM_ENDPOINT ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;

export class CliError extends Error {}

export interface AdminClient {
  request<T>(method: 'GET' | 'POST' | 'DELETE' | 'PUT', path: string, body?: unknown): Promise<T>;
  readonly endpoint: string;
}

export interface ConnectOptions {
  readonly endpoint?: string;
  readonly stack?: string;
  readonly region?: string;
  readonly adminToken?: string;
  readonly dataDir?: string;
}

async function endpointFromStack(stack: string, region?: string): Promise<string> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cloudFormation = new CloudFormationClient(region ? { region } : {});
  const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stack }));
  const url = Stacks?.[0]?.Outputs?.find((output) => output.OutputKey === API_URL_OUTPUT)?.OutputValue;
  if (!url)
    throw new CliError(`Stack ${stack} has no ${API_URL_OUTPUT} output. Is it the API stack? Deploy with \`npx cdk deploy --all\`.`);
  return url;
}

function localAdminToken(options: ConnectOptions): string {
  const token = options.adminToken ?? process.env.HEADROOM_ADMIN_TOKEN;
  if (token) return token;
  const file = join(options.dataDir ?? process.env.HEADROOM_DATA_DIR ?? '.headroom', 'admin-token');
  if (!existsSync(file)) {
    throw new CliError(`No admin token: start the platform with \`npm start\` (it writes ${file}) or set HEADROOM_ADMIN_TOKEN.`);
  }
  return readFileSync(file, 'utf8').trim();
}

interface ProblemBody {
  readonly title?: string;
  readonly detail?: string;
  readonly errors?: readonly { path: string; message: string }[];
}

// AWS modules load only for --stack, so local commands start fast.
async function sigV4Signer(region: string): Promise<SignatureV4> {
  const [{ Sha256 }, { fromNodeProviderChain }, { SignatureV4: Signer }] = await Promise.all([
    import('@aws-crypto/sha256-js'),
    import('@aws-sdk/credential-providers'),
    import('@smithy/signature-v4'),
  ]);
  return new Signer({ service: 'execute-api', region, credentials: fromNodeProviderChain(), sha256: Sha256 });
}

export async function connect(options: ConnectOptions): Promise<AdminClient> {
  const onAws = options.stack !== undefined;
  const endpoint = (
    onAws ? await endpointFromStack(options.stack as string, options.region) : (options.endpoint ?? DEFAULT_ENDPOINT)
  ).replace(/\/$/, '');
  const base = new URL(endpoint);
  const signer = onAws
    ? await sigV4Signer(options.region ?? process.env.AWS_REGION ?? base.hostname.split('.')[2] ?? 'us-east-1')
    : undefined;
  const adminToken = onAws ? undefined : localAdminToken(options);

  return {
    endpoint,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base);
      const payload = body === undefined ? undefined : JSON.stringify(body);
      let headers: Record<string, string> = {
        host: url.host,
        accept: 'application/json',
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      };
      if (signer) {
        const query = Object.fromEntries(url.searchParams);
        const { HttpRequest } = await import('@smithy/protocol-http');
        const signed = await signer.sign(
          new HttpRequest({ method, protocol: url.protocol, hostname: url.hostname, path: url.pathname, query, headers, body: payload }),
        );
        headers = signed.headers;
      } else {
        headers.authorization = `Bearer ${adminToken}`;
      }
      let response: Response;
      try {
        response = await fetch(url, { method, headers, body: payload });
      } catch (error) {
        throw new CliError(
          `Cannot reach ${endpoint} (${(error as Error).cause ?? (error as Error).message}). Is the platform running (\`npm start\`), or pass --endpoint/--stack.`,
        );
      }
      const text = await response.text();
      const parsed = text ? (JSON.parse(text) as unknown) : undefined;
      if (!response.ok) {
        const problem = (parsed ?? {}) as ProblemBody;
        const fields = problem.errors?.map((error) => `  ${error.path}: ${error.message}`).join('\n');
        throw new CliError(
          `${response.status} ${problem.title ?? response.statusText}: ${problem.detail ?? text}${fields ? `\n${fields}` : ''}`,
        );
      }
      return parsed as T;
    },
  };
}
