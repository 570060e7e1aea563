import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { captureLogger, freePort, type CapturedLogger } from '@fedshop/shared/testing';
import { loadConfig as loadGatewayConfig, startGateway, type RunningGateway } from '../../../gateway/src';
import { gatewayEnvFor, readMetric, type TestPlatform } from '../../support/test-platform';

const REPO_ROOT = path.resolve(__dirname, '../../..');

export interface RawResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON. */
  body: any;
}

/** A raw HTTP exchange (no GraphQL client in the way): what a hostile caller controls, the test controls. */
export async function send(url: string, init: RequestInit = {}): Promise<RawResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

/** POSTs a GraphQL request body as JSON. */
export function postGraphQL(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return send(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** The codes of a raw response's errors. */
export function codes(response: RawResponse): unknown[] {
  return (response.body?.errors ?? []).map((error: { extensions?: { code?: string } }) => error.extensions?.code);
}

/** GraphQL requests the subgraphs have served so far (both together). */
export async function subgraphCalls(platform: TestPlatform): Promise<number> {
  return (
    (await readMetric(platform.usersUrl, 'http_server_request_duration_seconds_count', { route: '/graphql' })) +
    (await readMetric(platform.ordersUrl, 'http_server_request_duration_seconds_count', { route: '/graphql' }))
  );
}

/** Another gateway in this process, in front of the same subgraphs, configured by `env`. */
export async function startExtraGateway(
  platform: TestPlatform,
  env: Record<string, string>,
): Promise<RunningGateway & { logs: CapturedLogger; graphqlUrl: string }> {
  const logs = captureLogger('gateway');
  const gateway = await startGateway(loadGatewayConfig(gatewayEnvFor(platform, env)), { logger: logs.logger });
  return Object.assign(gateway, { logs, graphqlUrl: `${gateway.url}/graphql` });
}

export interface GatewayProcess {
  graphqlUrl: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** A gateway in a process of its own, compiled (`node dist/main.js`), as a second replica would run. */
export async function startGatewayProcess(platform: TestPlatform, env: Record<string, string>): Promise<GatewayProcess> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'gateway/dist/main.js')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...gatewayEnvFor(platform, { ...env, PORT: String(port) }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"gateway ready"')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`gateway process exited (${code}):\n${output.slice(-3000)}`)));
  });
  return {
    graphqlUrl: `http://127.0.0.1:${port}/graphql`,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
