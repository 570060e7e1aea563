/**
 * Runs a health probe (a Dockerfile HEALTHCHECK or a compose healthcheck command) for real against
 * a stand-in service that answers every request with a chosen status. The probe's connections to
 * the service's port are sent to the stand-in (./redirect-connections.cjs), so the probe runs as
 * written, port included, on a machine where that port may be taken.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { minimalEnv, runIsolated } from './process';
import { invocation } from './shell';

export interface ProbeRun {
  /** The probe's exit code: 0 healthy. */
  code: number | null;
  /** `METHOD /path` of each request the stand-in received. */
  requests: string[];
  /** host:port of each connection the probe opened (before redirection). */
  connections: string[];
}

/**
 * Runs `command` (`node …` runs under this Node) with `env`; connections to `servicePort` reach a
 * server that answers `status`.
 */
export async function runProbe(
  command: string[],
  options: { servicePort: number; status: number; env?: Record<string, string> },
): Promise<ProbeRun> {
  const requests: string[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    requests.push(`${request.method} ${request.url}`);
    response.writeHead(options.status, { 'content-type': 'text/plain' }).end(`${options.status}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-probe-'));
  const connectionsFile = path.join(dir, 'connections');
  try {
    const [program, ...args] = command;
    const result = await runIsolated(program === 'node' ? process.execPath : program!, args, {
      cwd: dir,
      env: {
        ...minimalEnv(),
        ...options.env,
        NODE_OPTIONS: `--require ${path.join(__dirname, 'redirect-connections.cjs')}`,
        FEDSHOP_REDIRECT_FROM_PORT: String(options.servicePort),
        FEDSHOP_REDIRECT_TO_PORT: String((server.address() as AddressInfo).port),
        FEDSHOP_CONNECTIONS_FILE: connectionsFile,
      },
      timeoutMs: 15_000,
    });
    let connections: string[] = [];
    try {
      connections = readFileSync(connectionsFile, 'utf8').split('\n').filter(Boolean);
    } catch {
      // no connection was opened
    }
    return { code: result.code, requests, connections };
  } finally {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The URL an HTTP client command (`wget …`, `curl …`) fetches: its one http(s) operand, parsed. */
export function httpTarget(command: string[]): URL {
  const urls = invocation(command).operands.flatMap((operand) => {
    try {
      const url = new URL(operand);
      return url.protocol === 'http:' || url.protocol === 'https:' ? [url] : [];
    } catch {
      return [];
    }
  });
  if (urls.length !== 1) throw new Error(`expected one URL in: ${command.join(' ')}`);
  return urls[0]!;
}
