import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, freePort, type TestDatabase } from '@fedshop/shared/testing';
import { graphqlClient, type GraphQLSend } from './graphql-client';
import { TEST_ADMIN } from './test-platform';

const REPO_ROOT = path.resolve(__dirname, '../..');

export type ServiceName = 'users' | 'orders' | 'gateway';

/**
 * What the images run: each service's compiled entry point, plain `node dist/main.js`. `npm test`
 * builds once before jest starts (package.json), so these tests exercise what ships.
 */
export const COMPILED_ENTRY: Record<ServiceName, string> = {
  users: 'subgraphs/users/dist/main.js',
  orders: 'subgraphs/orders/dist/main.js',
  gateway: 'gateway/dist/main.js',
};

/** One service running as its own OS process, compiled, as its image runs it. */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private output = '';
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(
    readonly name: ServiceName,
    readonly url: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts the process and resolves once its /readyz answers 200. */
  async start(timeoutMs = 60_000): Promise<void> {
    const entry = path.join(REPO_ROOT, COMPILED_ENTRY[this.name]);
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` (jest's global setup builds before every run)`);
    const child = spawn(process.execPath, [entry], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${this.name} exited during start:\n${this.logs()}`);
      try {
        if ((await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(1_000) })).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Sends a signal and resolves with how the process ended. */
  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null)
      return { code: this.child?.exitCode ?? null, signal: null };
    this.child.kill(signal);
    return this.exit!;
  }

  /** Sends a signal without waiting for the exit. */
  signal(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child!.kill(signal);
    return this.exit!;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  logs(): string {
    return this.output.slice(-6000);
  }

  /** Every JSON log line the process has written so far, parsed (other output is skipped). */
  logLines(): Record<string, unknown>[] {
    return this.output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }
}

export interface ProcessPlatform {
  users: ServiceProcess;
  orders: ServiceProcess;
  gateway: ServiceProcess;
  usersDatabase: TestDatabase;
  ordersDatabase: TestDatabase;
  gql: GraphQLSend;
  ports: { usersGrpc: number; ordersGrpc: number };
  stop(): Promise<void>;
}

export interface ProcessPlatformOptions {
  /** Use this URL for the orders database instead of a fresh test database (e.g. a cluster the test stops). */
  ordersDatabaseUrl?: string;
  env?: Partial<Record<ServiceName, Record<string, string>>>;
}

/**
 * The three services as separate processes on fixed free ports, so a test can kill, signal
 * and restart one of them while the others keep running.
 */
export async function startProcessPlatform(options: ProcessPlatformOptions = {}): Promise<ProcessPlatform> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-processes-'));
  const [usersDatabase, ordersDatabase] = await Promise.all([createTestDatabase('proc_users'), createTestDatabase('proc_orders')]);
  const [usersHttp, ordersHttp, gatewayHttp, usersGrpc, ordersGrpc] = (await Promise.all(Array.from({ length: 5 }, () => freePort()))) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const common = { NODE_ENV: 'test', HOST: '127.0.0.1', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '10000' };
  const jwks = `http://127.0.0.1:${usersHttp}/.well-known/jwks.json`;
  const users = new ServiceProcess('users', `http://127.0.0.1:${usersHttp}`, {
    ...common,
    PORT: String(usersHttp),
    GRPC_PORT: String(usersGrpc),
    DATABASE_URL: usersDatabase.url,
    DATA_DIR: dataDir,
    ORDER_SERVICE_ADDR: `127.0.0.1:${ordersGrpc}`,
    ADMIN_EMAIL: TEST_ADMIN.email,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    SCRYPT_COST: '1024',
    ...options.env?.users,
  });
  const orders = new ServiceProcess('orders', `http://127.0.0.1:${ordersHttp}`, {
    ...common,
    PORT: String(ordersHttp),
    GRPC_PORT: String(ordersGrpc),
    DATABASE_URL: options.ordersDatabaseUrl ?? ordersDatabase.url,
    USER_SERVICE_ADDR: `127.0.0.1:${usersGrpc}`,
    JWKS_URL: jwks,
    ...options.env?.orders,
  });
  const gateway = new ServiceProcess('gateway', `http://127.0.0.1:${gatewayHttp}`, {
    ...common,
    PORT: String(gatewayHttp),
    USERS_URL: `http://127.0.0.1:${usersHttp}/graphql`,
    ORDERS_URL: `http://127.0.0.1:${ordersHttp}/graphql`,
    JWKS_URL: jwks,
    ...options.env?.gateway,
  });
  await users.start();
  await orders.start();
  await gateway.start();
  return {
    users,
    orders,
    gateway,
    usersDatabase,
    ordersDatabase,
    gql: graphqlClient(`${gateway.url}/graphql`),
    ports: { usersGrpc, ordersGrpc },
    async stop() {
      await Promise.all([gateway, orders, users].map((service) => service.kill('SIGTERM')));
      await Promise.all([usersDatabase.drop(), ordersDatabase.drop()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
