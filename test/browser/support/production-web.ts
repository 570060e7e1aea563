/**
 * The storefront as production serves it, on this machine: a production build of clients/web
 * (ids only, from the committed manifest) behind nginx running the image's own
 * clients/web/nginx/nginx.conf, with only what cannot be the same here rewritten: the port, the
 * files' folder, /tmp, and the gateway's address (compose's and Kubernetes' `gateway:4000`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@fedshop/shared/testing';
import { runProcess } from '../../contract/support/run-process';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const WEB_ROOT = path.join(REPO_ROOT, 'clients/web');
export const NGINX = '/usr/sbin/nginx';
export const CHROMIUM = '/usr/bin/chromium';

/** What the browser test needs from the machine, or why it cannot run (`.ci/run` installs both). */
export function missingBrowserTools(): string | null {
  for (const binary of [CHROMIUM, NGINX]) {
    try {
      accessSync(binary, constants.X_OK);
    } catch {
      return `${binary} is not installed (apt-get install -y chromium nginx-light, as .ci/run does)`;
    }
  }
  return null;
}

export interface ProductionWeb {
  /** http://127.0.0.1:<port> */
  url: string;
  /** nginx's logs so far (errors, then the JSON access lines). */
  output(): string;
  stop(): Promise<void>;
}

/** The nginx.conf of the image, pointed at this machine. */
export function localNginxConfig(options: { port: number; root: string; tmp: string; gatewayPort: number }): string {
  const config = readFileSync(path.join(WEB_ROOT, 'nginx/nginx.conf'), 'utf8');
  const replacements: Array<[RegExp, string]> = [
    // First: the paths below are themselves under /tmp.
    [/ \/tmp\//g, ` ${options.tmp}/`],
    [/listen 8080;/, `listen 127.0.0.1:${options.port};`],
    [/root \/usr\/share\/nginx\/html;/, `root ${options.root};`],
    [/proxy_pass http:\/\/gateway:4000;/, `proxy_pass http://127.0.0.1:${options.gatewayPort};`],
    // Node gives a child sockets, not terminals or pipes, for stdout/stderr: /dev/std* cannot be opened there.
    [/error_log \/dev\/stderr /, `error_log ${options.tmp}/error.log `],
    [/access_log \/dev\/stdout /, `access_log ${options.tmp}/access.log `],
  ];
  let local = config;
  for (const [pattern, value] of replacements) {
    if (!pattern.test(local)) throw new Error(`nginx.conf no longer has ${pattern}: update ${__filename}`);
    local = local.replace(pattern, value);
  }
  // Workers of a root master run as nobody; here they read a temporary folder as its owner.
  return process.getuid?.() === 0 ? `user root;\n${local}` : local;
}

/** Builds the app for production and serves it with nginx in front of the gateway at `gatewayPort`. */
export async function startProductionWeb(gatewayPort: number): Promise<ProductionWeb> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-web-'));
  chmodSync(dir, 0o755);
  const dist = path.join(dir, 'dist');
  const build = await runProcess(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', dist, '--emptyOutDir'],
    { cwd: WEB_ROOT },
  );
  if (build.code !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
  const port = await freePort();
  const configFile = path.join(dir, 'nginx.conf');
  writeFileSync(configFile, localNginxConfig({ port, root: dist, tmp: dir, gatewayPort }));
  let output = '';
  const child: ChildProcess = spawn(NGINX, ['-c', configFile, '-e', path.join(dir, 'error.log'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`nginx exited:\n${output}`);
    }
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (attempt > 100) {
      await stop();
      throw new Error(`nginx did not answer on ${url}:\n${output}`);
    }
    // nginx gives no readiness signal of its own but its port answering.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const logs = () =>
    ['error.log', 'access.log'].map((file) => {
      try {
        return readFileSync(path.join(dir, file), 'utf8');
      } catch {
        return '';
      }
    });
  return { url, output: () => [output, ...logs()].join('\n'), stop };
}
