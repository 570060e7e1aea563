/**
 * `npm run bench:startup`: how each service starts, one at a time on a quiet stack — time from
 * process start to its first `200` on `/readyz`, and its resident memory once settled (2 s after
 * ready, then a GC-free read of /proc). Production mode, real databases (the machine's PostgreSQL
 * through TEST_DATABASE_URL, else an embedded one), the users, orders and gateway started in that
 * order (each one's readiness needs the ones before), `--runs` times (default 5); medians printed.
 *
 *   npm run bench:startup                       the compiled services (`node dist/main.js`)
 *   npm run bench:startup -- --tree <dir> --legacy
 *                                               another checkout started the way it starts its
 *                                               services (before the build existed: tsx and the
 *                                               telemetry preload on `src/index.ts`), for a before/after
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startEmbeddedPostgres } from '@fedshop/shared/database/embedded-postgres';
import { createTestDatabase, freePort, TEST_SERVER_URL_VARIABLE } from '@fedshop/shared/testing';
import { migrateSubgraphDatabases } from './seed-databases';

type Service = 'users' | 'orders' | 'gateway';
const WORKSPACE: Record<Service, string> = { users: 'subgraphs/users', orders: 'subgraphs/orders', gateway: 'gateway' };

function commandFor(tree: string, service: Service, legacy: boolean): { args: string[]; cwd: string } {
  if (legacy)
    return { cwd: tree, args: ['--import', 'tsx', '--import', '@fedshop/shared/telemetry/register', `${WORKSPACE[service]}/src/index.ts`] };
  return { cwd: path.join(tree, WORKSPACE[service]), args: ['dist/main.js'] };
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((candidate) => candidate.startsWith('VmRSS:'))!;
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
}

async function startMeasured(
  service: Service,
  command: { args: string[]; cwd: string },
  env: Record<string, string>,
  url: string,
): Promise<{ child: ChildProcess; readyMs: number; rssMiB: number }> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, command.args, {
    cwd: command.cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${service} exited: ${stderr.slice(-2000)}`);
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  return { child, readyMs: Math.round(readyMs), rssMiB: rssMiB(child.pid!) };
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { tree: { type: 'string' }, legacy: { type: 'boolean', default: false }, runs: { type: 'string', default: '5' } },
  });
  const tree = path.resolve(values.tree ?? path.join(__dirname, '..'));
  const runs = Number(values.runs);
  const work = mkdtempSync(path.join(os.tmpdir(), 'fedshop-startup-'));
  let cluster: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  if (process.env.TEST_DATABASE_URL) {
    process.env[TEST_SERVER_URL_VARIABLE] = process.env.TEST_DATABASE_URL;
  } else {
    cluster = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: await freePort(), logger: pino({ level: 'silent' }) });
    process.env[TEST_SERVER_URL_VARIABLE] = cluster.urlFor('postgres');
  }
  const [usersDb, ordersDb] = await Promise.all([createTestDatabase('startup_users'), createTestDatabase('startup_orders')]);
  await migrateSubgraphDatabases({ usersUrl: usersDb.url, ordersUrl: ordersDb.url });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const results: Record<Service, { readyMs: number[]; rssMiB: number[] }> = {
    users: { readyMs: [], rssMiB: [] },
    orders: { readyMs: [], rssMiB: [] },
    gateway: { readyMs: [], rssMiB: [] },
  };
  try {
    for (let run = 0; run < runs; run++) {
      const [usersPort, usersGrpc, ordersPort, ordersGrpc, gatewayPort] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
      const usersUrl = `http://127.0.0.1:${usersPort}`;
      const ordersUrl = `http://127.0.0.1:${ordersPort}`;
      const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
      const jwks = `${usersUrl}/.well-known/jwks.json`;
      const children: ChildProcess[] = [];
      try {
        const users = await startMeasured(
          'users',
          commandFor(tree, 'users', values.legacy),
          {
            PORT: String(usersPort),
            GRPC_PORT: String(usersGrpc),
            DATABASE_URL: usersDb.url,
            DATA_DIR: path.join(work, 'users'),
            JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
            ORDER_SERVICE_ADDR: `127.0.0.1:${ordersGrpc}`,
          },
          usersUrl,
        );
        children.push(users.child);
        const orders = await startMeasured(
          'orders',
          commandFor(tree, 'orders', values.legacy),
          {
            PORT: String(ordersPort),
            GRPC_PORT: String(ordersGrpc),
            DATABASE_URL: ordersDb.url,
            USER_SERVICE_ADDR: `127.0.0.1:${usersGrpc}`,
            JWKS_URL: jwks,
            DATA_DIR: path.join(work, 'orders'),
          },
          ordersUrl,
        );
        children.push(orders.child);
        const gateway = await startMeasured(
          'gateway',
          commandFor(tree, 'gateway', values.legacy),
          { PORT: String(gatewayPort), USERS_URL: `${usersUrl}/graphql`, ORDERS_URL: `${ordersUrl}/graphql`, JWKS_URL: jwks },
          gatewayUrl,
        );
        children.push(gateway.child);
        for (const [name, measured] of [
          ['users', users],
          ['orders', orders],
          ['gateway', gateway],
        ] as const) {
          results[name].readyMs.push(measured.readyMs);
          results[name].rssMiB.push(measured.rssMiB);
        }
        console.log(
          `run ${run + 1}/${runs}: ${(['users', 'orders', 'gateway'] as const).map((name) => `${name} ${results[name].readyMs.at(-1)} ms, ${results[name].rssMiB.at(-1)} MiB`).join(' · ')}`,
        );
      } finally {
        await Promise.all(children.reverse().map(stop));
      }
    }
  } finally {
    await Promise.all([usersDb.drop(), ordersDb.drop()]);
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`\n${values.legacy ? 'legacy start (tsx)' : 'compiled (node dist/main.js)'} in ${tree}, median of ${runs}:`);
  for (const name of ['users', 'orders', 'gateway'] as const) {
    console.log(
      `  ${name.padEnd(8)} start → /readyz ${median(results[name].readyMs)} ms, RSS after start ${median(results[name].rssMiB)} MiB`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
