import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { renderHaproxyConfig, type HaproxyConfigOptions } from './haproxy-config';

/** Debian's package (`apt-get install haproxy`, as .ci/run does). */
export const HAPROXY_BINARY = '/usr/sbin/haproxy';

/** One server's line of `show stat`, the fields the rig reads. */
export interface ServerStat {
  backend: string;
  server: string;
  /** `UP`, `DOWN`, `MAINT`, `DRAIN`, `UP 1/2` (going down), `DOWN 1/2` (coming up), `no check`. */
  status: string;
  /** Requests sent to it (sessions, for HTTP one per request on a non-reused connection). */
  sessions: number;
  /** Connection retries to it, and requests redispatched away from it. */
  retries: number;
  redispatches: number;
  /** Failed connections, and responses that failed (reset, closed early). */
  connectionErrors: number;
  responseErrors: number;
  /** Responses with these statuses, as the proxy sent them to clients (its own 502/503 included). */
  http5xx: number;
  /** Time the server spent DOWN, s. */
  downtimeSeconds: number;
  /** Times its health checks took it from UP to DOWN. */
  checkDowns: number;
}

export interface RunningHaproxy {
  pid: number;
  configFile: string;
  /** Sends one runtime-API command and resolves with its answer. */
  command(line: string): Promise<string>;
  /** Every server of every backend (the frontends' and backends' own rows left out). */
  stats(): Promise<ServerStat[]>;
  /** Resolves once `backend/server` reports `status` (UP, DOWN, MAINT…), rejects after `timeoutMs`. */
  waitFor(backend: string, server: string, status: string, timeoutMs?: number): Promise<void>;
  /** `ready` brings a slot out of maintenance; `drain` stops new requests to it; `maint` takes it out. */
  setState(backend: string, server: string, state: 'ready' | 'drain' | 'maint'): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts HAProxy in the foreground (`-db`) on a generated configuration, checked first
 * (`haproxy -c`), and resolves once its runtime API answers.
 */
export async function startHaproxy(dir: string, options: HaproxyConfigOptions): Promise<RunningHaproxy> {
  if (!existsSync(HAPROXY_BINARY)) throw new Error(`${HAPROXY_BINARY} is missing: apt-get install haproxy (.ci/run does)`);
  const configFile = path.join(dir, 'haproxy.cfg');
  writeFileSync(configFile, renderHaproxyConfig(options));
  await run([HAPROXY_BINARY, '-c', '-q', '-f', configFile]);
  let output = '';
  const child: ChildProcess = spawn(HAPROXY_BINARY, ['-db', '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const command = (line: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = createConnection(options.statsSocket);
      let answer = '';
      socket.setTimeout(5_000, () => socket.destroy(new Error(`HAProxy runtime API did not answer "${line}"`)));
      socket.on('connect', () => socket.end(`${line}\n`));
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });

  const stats = async (): Promise<ServerStat[]> => {
    const [header, ...rows] = (await command('show stat')).trim().split('\n');
    const fields = header!.replace(/^# /, '').split(',');
    const at = (name: string) => fields.indexOf(name);
    return rows
      .map((row) => row.split(','))
      .filter((cells) => cells[at('svname')] !== 'FRONTEND' && cells[at('svname')] !== 'BACKEND')
      .map((cells) => ({
        backend: cells[at('pxname')]!,
        server: cells[at('svname')]!,
        status: cells[at('status')]!,
        sessions: Number(cells[at('stot')]) || 0,
        retries: Number(cells[at('wretr')]) || 0,
        redispatches: Number(cells[at('wredis')]) || 0,
        connectionErrors: Number(cells[at('econ')]) || 0,
        responseErrors: Number(cells[at('eresp')]) || 0,
        http5xx: Number(cells[at('hrsp_5xx')]) || 0,
        downtimeSeconds: Number(cells[at('downtime')]) || 0,
        checkDowns: Number(cells[at('chkdown')]) || 0,
      }));
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited at start:\n${output}`);
    try {
      await command('show info');
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`haproxy's runtime API did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  return {
    pid: child.pid!,
    configFile,
    command,
    stats,
    async waitFor(backend, server, status, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const last = (await stats()).find((stat) => stat.backend === backend && stat.server === server)?.status ?? 'missing';
        if (last === status) return;
        if (Date.now() > until) throw new Error(`${backend}/${server} is ${last}, not ${status}, after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async setState(backend, server, state) {
      const answer = (await command(`set server ${backend}/${server} state ${state}`)).trim();
      if (answer !== '') throw new Error(`set server ${backend}/${server} state ${state}: ${answer}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function run(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} failed (${code}):\n${output}`))));
  });
}
