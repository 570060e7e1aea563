/**
 * `npm start`: runs the whole platform locally, each service as its own process (the same
 * entry points `npm start -w <service>` runs), prints where everything is, and stops them
 * all on Ctrl-C. With no DATABASE_URLs set, each subgraph starts an embedded PostgreSQL of
 * its own, kept under .data/ (git-ignored) so data survives restarts.
 *
 * The storefront (clients/web) runs on Vite's development server at WEB_PORT (default 3000),
 * which proxies /graphql, WebSocket upgrades included, to the gateway: one origin for the
 * browser, so the session cookie is first-party and no CORS is involved.
 *
 * Environment: GATEWAY_PORT, USERS_PORT, ORDERS_PORT, USERS_GRPC_PORT, ORDERS_GRPC_PORT,
 * USERS_/ORDERS_DATABASE_URL, USERS_/ORDERS_EMBEDDED_POSTGRES_PORT and DATA_DIR (root of
 * both subgraphs' data) are mapped to each service's own variables; every other variable
 * passes through to all three.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DEVELOPMENT_ADMIN } from '../subgraphs/users/src/config';
import { REPO_ROOT } from './lib/subgraph-databases';

interface ServiceSpec {
  name: string;
  /** A service's TypeScript entry point (run from source with tsx), or `args` for anything else. */
  entry?: string;
  args?: string[];
  cwd?: string;
  env: Record<string, string | undefined>;
  url: string;
}

// A .env file at the repo root (see .env.example) is read first; real environment variables win.
const dotenv = path.join(REPO_ROOT, '.env');
if (existsSync(dotenv)) process.loadEnvFile(dotenv);
const env = process.env;
const usersPort = env.USERS_PORT ?? '4001';
const ordersPort = env.ORDERS_PORT ?? '4002';
const gatewayPort = env.GATEWAY_PORT ?? '4000';
const usersGrpc = env.USERS_GRPC_PORT ?? '50051';
const ordersGrpc = env.ORDERS_GRPC_PORT ?? '50052';
const webPort = env.WEB_PORT ?? '3000';
const pretty = env.LOG_PRETTY ?? (process.stdout.isTTY ? 'true' : 'false');
const dataRoot = path.resolve(env.DATA_DIR ?? path.join(REPO_ROOT, '.data'));

const services: ServiceSpec[] = [
  {
    name: 'users',
    entry: 'subgraphs/users/src/main.ts',
    url: `http://localhost:${usersPort}/graphql`,
    env: {
      PORT: usersPort,
      GRPC_PORT: usersGrpc,
      DATABASE_URL: env.USERS_DATABASE_URL,
      DATA_DIR: path.join(dataRoot, 'users'),
      EMBEDDED_POSTGRES_PORT: env.USERS_EMBEDDED_POSTGRES_PORT,
      ORDER_SERVICE_ADDR: `localhost:${ordersGrpc}`,
    },
  },
  {
    name: 'orders',
    entry: 'subgraphs/orders/src/main.ts',
    url: `http://localhost:${ordersPort}/graphql`,
    env: {
      PORT: ordersPort,
      GRPC_PORT: ordersGrpc,
      DATABASE_URL: env.ORDERS_DATABASE_URL,
      DATA_DIR: path.join(dataRoot, 'orders'),
      EMBEDDED_POSTGRES_PORT: env.ORDERS_EMBEDDED_POSTGRES_PORT,
      USER_SERVICE_ADDR: `localhost:${usersGrpc}`,
      JWKS_URL: `http://localhost:${usersPort}/.well-known/jwks.json`,
    },
  },
  {
    name: 'gateway',
    entry: 'gateway/src/main.ts',
    url: `http://localhost:${gatewayPort}/graphql`,
    env: {
      PORT: gatewayPort,
      USERS_URL: env.USERS_URL ?? `http://localhost:${usersPort}/graphql`,
      ORDERS_URL: env.ORDERS_URL ?? `http://localhost:${ordersPort}/graphql`,
      JWKS_URL: `http://localhost:${usersPort}/.well-known/jwks.json`,
    },
  },
  {
    name: 'web',
    args: [
      path.join(path.dirname(require.resolve('vite/package.json', { paths: [path.join(REPO_ROOT, 'clients/web')] })), 'bin', 'vite.js'),
    ],
    cwd: path.join(REPO_ROOT, 'clients/web'),
    url: `http://localhost:${webPort}/`,
    env: { WEB_PORT: webPort, GATEWAY_URL: `http://localhost:${gatewayPort}` },
  },
];

const children = new Map<string, ChildProcess>();
let stopping = false;

function launch(spec: ServiceSpec): ChildProcess {
  // Per-service variables are set below; the rest of the environment passes through.
  const { DATABASE_URL: _url, PORT: _port, GRPC_PORT: _grpc, DATA_DIR: _data, EMBEDDED_POSTGRES_PORT: _pg, ...inherited } = env;
  // Development runs the TypeScript sources (no build step, so a start is as fast as the
  // services' own), with the workspaces resolving each other's sources and TypeScript lines in
  // stack traces. Production runs the compiled `dist/main.js` (README, Build and production runtime).
  const args = spec.args ?? ['--enable-source-maps', '--conditions=@fedshop/source', '--import', 'tsx', spec.entry!];
  const child = spawn(process.execPath, args, {
    cwd: spec.cwd ?? REPO_ROOT,
    env: Object.fromEntries(Object.entries({ ...inherited, LOG_PRETTY: pretty, ...spec.env }).filter(([, value]) => value !== undefined)),
    // Own process group: Ctrl-C reaches only this script, which stops each service exactly
    // once. The IPC channel lets a service notice if this script dies and stop by itself.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const label = `[${spec.name}]`.padEnd(10);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on('line', (line) => process.stdout.write(`${label}${line}\n`));
  }
  child.on('close', (code, signal) => {
    children.delete(spec.name);
    if (!stopping) {
      console.error(`${label}exited (${signal ?? `code ${code}`}); stopping the platform`);
      void stopAll(1);
    } else if (children.size === 0) {
      process.exit(exitCode);
    }
  });
  return child;
}

let exitCode = 0;
async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  if (children.size === 0) process.exit(code);
  for (const child of children.values()) child.kill('SIGTERM');
  // Services drain for up to 10 s; after that, nothing is worth waiting for.
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(code || 1);
  }, 15_000).unref();
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return false;
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  for (const spec of services) children.set(spec.name, launch(spec));
  const ready =
    (await waitUntilReady(`http://localhost:${gatewayPort}/readyz`, 120_000)) &&
    (await waitUntilReady(`http://localhost:${webPort}/`, 30_000));
  if (stopping) return;
  if (!ready) {
    console.error('the platform did not become ready within 2 minutes; stopping');
    return stopAll(1);
  }
  const admin = env.ADMIN_EMAIL
    ? `  admin:    ${env.ADMIN_EMAIL} (password from ADMIN_PASSWORD)`
    : `  admin:    ${DEVELOPMENT_ADMIN.email} / ${DEVELOPMENT_ADMIN.password}  (development default; set ADMIN_EMAIL and ADMIN_PASSWORD)`;
  console.log(
    [
      '',
      'fedshop is up:',
      `  shop:     http://localhost:${webPort}/   (the storefront; /graphql there reaches the gateway)`,
      `  gateway:  http://localhost:${gatewayPort}/graphql   (open it in a browser for Apollo Sandbox)`,
      ...services.filter((s) => s.name === 'users' || s.name === 'orders').map((s) => `  ${`${s.name}:`.padEnd(9)} ${s.url}`),
      `  gRPC:     users localhost:${usersGrpc}, orders localhost:${ordersGrpc}`,
      admin,
      `  data:     ${dataRoot} (embedded PostgreSQL per subgraph unless USERS_/ORDERS_DATABASE_URL is set)`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

void main();
