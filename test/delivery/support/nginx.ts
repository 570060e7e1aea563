/**
 * Runs the storefront image's clients/web/nginx/nginx.conf with a real nginx (Debian's nginx-light,
 * which .ci/run installs), as an unprivileged user, changing only what cannot be the same on this
 * machine, in the parsed configuration: the listen address (a free port), the site root, every
 * /tmp path (a fresh world-writable folder standing for the image's tmpfs /tmp) and the upstream
 * (a local stand-in for gateway:4000). Everything else, /dev/stdout and /dev/stderr logs
 * included, is the file as the image has it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@fedshop/shared/testing';
import { directive, directives, mapDirectives, parseNginxConfig, printNginxConfig, type Directive } from './nginx-config';
import { REPO_ROOT } from './services';

export const NGINX = '/usr/sbin/nginx';
export const STOREFRONT_NGINX_CONF = path.join(REPO_ROOT, 'clients/web/nginx/nginx.conf');
/** `nobody`: when the tests run as root, nginx does not. */
const UNPRIVILEGED = { uid: 65534, gid: 65534 };

export function readStorefrontConfig(): Directive[] {
  return parseNginxConfig(readFileSync(STOREFRONT_NGINX_CONF, 'utf8'));
}

/** The one `server` of the storefront's `http` block. */
export function storefrontServer(config: Directive[]): Directive {
  return directive(directive(config, 'http').block, 'server');
}

/** The configuration pointed at this machine (see the file's comment). */
export function adaptForThisMachine(
  config: Directive[],
  options: { port: number; root: string; tmp: string; upstream: string },
): Directive[] {
  const server = storefrontServer(config);
  if (directives(server.block, 'listen').length !== 1) throw new Error('nginx.conf: expected one listen in the server');
  return mapDirectives(config, (entry) => {
    const args = entry.args.map((arg) =>
      arg === '/tmp' || arg.startsWith('/tmp/') ? path.join(options.tmp, arg.slice('/tmp'.length)) : arg,
    );
    if (entry.name === 'listen') return { ...entry, args: [`127.0.0.1:${options.port}`] };
    if (entry.name === 'root') return { ...entry, args: [options.root] };
    if (entry.name === 'proxy_pass') return { ...entry, args: [options.upstream] };
    return { ...entry, args };
  });
}

export interface RunningNginx {
  url: string;
  /** The folder standing for /tmp. */
  tmp: string;
  /** The uid nginx's master process runs as. */
  uid: number;
  /** What nginx wrote to its stdout and stderr (the access and error logs). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts nginx on the storefront's configuration, serving `root` and proxying to `upstreamPort`. */
export async function startStorefrontNginx(options: { root: string; upstreamPort: number }): Promise<RunningNginx> {
  try {
    accessSync(NGINX, constants.X_OK);
  } catch {
    throw new Error(`${NGINX} is not installed: apt-get install -y nginx-light (as .ci/run does)`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-nginx-'));
  chmodSync(dir, 0o755);
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp);
  chmodSync(tmp, 0o1777);
  const port = await freePort();
  const configFile = path.join(dir, 'nginx.conf');
  const config = adaptForThisMachine(readStorefrontConfig(), {
    port,
    root: options.root,
    tmp,
    upstream: `http://127.0.0.1:${options.upstreamPort}`,
  });
  writeFileSync(configFile, printNginxConfig(config), { mode: 0o644 });
  // nginx opens /dev/stdout and /dev/stderr itself, which needs them to be files it may open (a
  // Node pipe is a socket): one log file, writable by the unprivileged user.
  const logFile = path.join(dir, 'output.log');
  const log = openSync(logFile, 'a', 0o666);
  chmodSync(logFile, 0o666);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(logFile, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
  let child: ChildProcess;
  try {
    // -e: the error log before the configuration is read (the compiled-in path is root's).
    child = spawn(NGINX, ['-c', configFile, '-e', '/dev/stderr', '-g', 'daemon off;'], {
      stdio: ['ignore', log, log],
      ...(asRoot ? UNPRIVILEGED : {}),
    });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const output = () => readFileSync(logFile, 'utf8');
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null) {
      const text = output();
      await stop();
      throw new Error(`nginx exited (${child.exitCode}):\n${text}`);
    }
    const answered = await fetch(`${url}/healthz`).then(
      () => true,
      () => false,
    );
    if (answered) break;
    if (attempt > 200) {
      const text = output();
      await stop();
      throw new Error(`nginx did not answer on ${url}:\n${text}`);
    }
    // nginx gives no readiness signal of its own but its port answering.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url, tmp, uid: asRoot ? UNPRIVILEGED.uid : process.getuid!(), output, stop };
}
