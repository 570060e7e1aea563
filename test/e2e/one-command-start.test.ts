import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@fedshop/shared/testing';
import { graphqlClient } from '../support/graphql-client';

const REPO_ROOT = path.resolve(__dirname, '../..');

interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves once npm and everything it started have closed their output. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm start` exactly as a newcomer runs it, in its own process group (as a terminal would). */
function npmStart(env: Record<string, string>): Started {
  let output = '';
  const child = spawn('npm', ['start'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, closed };
}

async function waitForOutput(started: Started, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!started.output().includes(text)) {
    if (Date.now() > deadline || started.child.exitCode !== null) {
      throw new Error(`"${text}" never appeared. Output:\n${started.output().slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Ctrl-C: SIGINT to the whole process group; resolves when everything has shut down. */
async function pressCtrlC(started: Started): Promise<void> {
  process.kill(-started.child.pid!, 'SIGINT');
  const { code, signal } = await started.closed;
  // npm itself dies of the SIGINT it received (as in a terminal); the services must not.
  expect(code === 0 || signal === 'SIGINT').toBe(true);
  for (const line of ['users service stopped', 'orders service stopped', 'gateway stopped']) {
    expect(started.output()).toContain(line);
  }
  expect(started.output()).not.toMatch(/exited \((code [1-9]|SIG)/);
}

describe('npm start on a fresh clone', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-start-'));
  let env: Record<string, string>;
  let running: Started | undefined;

  beforeAll(async () => {
    const ports = await Promise.all(Array.from({ length: 8 }, () => freePort()));
    env = {
      DATA_DIR: dataDir,
      GATEWAY_PORT: String(ports[0]),
      USERS_PORT: String(ports[1]),
      ORDERS_PORT: String(ports[2]),
      USERS_GRPC_PORT: String(ports[3]),
      ORDERS_GRPC_PORT: String(ports[4]),
      USERS_EMBEDDED_POSTGRES_PORT: String(ports[5]),
      ORDERS_EMBEDDED_POSTGRES_PORT: String(ports[6]),
      WEB_PORT: String(ports[7]),
      SCRYPT_COST: '1024',
    };
  });
  afterAll(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      process.kill(-running.child.pid!, 'SIGINT');
      await running.closed;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('when started with no database installed, then it serves the story, stops on Ctrl-C and keeps its data for the next start', async () => {
    running = npmStart(env);
    await waitForOutput(running, 'fedshop is up', 150_000);
    const out = running.output();
    expect(out).toContain(`http://localhost:${env.GATEWAY_PORT}/graphql`);
    expect(out).toContain(`http://localhost:${env.USERS_PORT}/graphql`);
    expect(out).toContain(`http://localhost:${env.ORDERS_PORT}/graphql`);
    expect(out).toContain('admin@fedshop.local');
    // The storefront's development server, its /graphql proxied to the gateway.
    expect(out).toContain(`http://localhost:${env.WEB_PORT}/`);
    const page = await fetch(`http://localhost:${env.WEB_PORT}/`);
    expect(await page.text()).toContain('<div id="root"></div>');
    const proxied = await graphqlClient(`http://localhost:${env.WEB_PORT}/graphql`)('{ products(first: 1) { totalCount } }');
    expect(proxied.data).toEqual({ products: { totalCount: expect.any(Number) } });

    const gql = graphqlClient(`http://localhost:${env.GATEWAY_PORT}/graphql`);
    const signUp = await gql(
      `mutation { signUp(input: { email: "first@example.com", password: "first-password", name: "First" }) { token } }`,
    );
    expect(signUp.errors).toEqual([]);
    const token = signUp.data!.signUp.token as string;
    const placed = await gql(
      `mutation { placeOrder(input: { items: [{ sku: "KB-001", quantity: 1 }], idempotencyKey: "first" }) { id } }`,
      {},
      { token },
    );
    expect(placed.errors).toEqual([]);

    await pressCtrlC(running);
    // Both embedded clusters were shut down cleanly (no pid file left behind).
    expect(existsSync(path.join(dataDir, 'users', 'postgres', 'postmaster.pid'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'orders', 'postgres', 'postmaster.pid'))).toBe(false);

    running = npmStart(env);
    await waitForOutput(running, 'fedshop is up', 150_000);
    // The old token still verifies (the development signing key persisted) and the order is still there.
    const mine = await gql(`{ me { email orders { totalCount } } }`, {}, { token });
    expect(mine.data!.me).toEqual({ email: 'first@example.com', orders: { totalCount: 1 } });
    const signIn = await gql(`mutation { signIn(input: { email: "first@example.com", password: "first-password" }) { token } }`);
    expect(signIn.errors).toEqual([]);
    await pressCtrlC(running);
  }, 400_000);
});
