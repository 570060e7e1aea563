import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@fedshop/shared/testing';
import { errorCodes } from '../support/graphql-client';
import { checkGrpcHealth } from '../support/grpc-health-client';
import { startPostgresProcess, type PostgresProcess } from '../support/postgres-process';
import { startProcessPlatform, type ProcessPlatform } from '../support/process-platform';

const READ = '{ products(first: 2) { totalCount edges { node { sku } } } }';

async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("fault: the orders subgraph's PostgreSQL stops and comes back", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-orders-pg-'));
  const dataDir = path.join(dir, 'data');
  let port: number;
  let cluster: PostgresProcess | undefined;
  let platform: ProcessPlatform;

  beforeAll(async () => {
    port = await freePort();
    cluster = await startPostgresProcess(dataDir, port);
    platform = await startProcessPlatform({ ordersDatabaseUrl: cluster.urlFor('orders') });
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('when the database goes away, then reads fail clearly and the service stays up; when it is back, then everything recovers without a restart', async () => {
    const ordersGrpc = `127.0.0.1:${platform.ports.ordersGrpc}`;
    expect((await platform.gql(READ)).errors).toEqual([]);
    expect(await checkGrpcHealth(ordersGrpc)).toBe('SERVING');

    await cluster!.stop();
    cluster = undefined;
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const response = await platform.gql(READ);
      expect(response.status).toBe(200);
      expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(response.errors[0]!.extensions!.retryable).toBe(true);
      expect(Date.now() - started).toBeLessThan(6_000);
    }
    expect(platform.orders.running).toBe(true);
    expect((await fetch(`${platform.orders.url}/healthz`)).status).toBe(200);
    const readiness = await fetch(`${platform.orders.url}/readyz`);
    expect(readiness.status).toBe(503);
    expect(((await readiness.json()) as { checks: Record<string, string> }).checks.database).toMatch(/^failing/);
    await until(async () => (await checkGrpcHealth(ordersGrpc)) === 'NOT_SERVING', 'gRPC health NOT_SERVING');

    cluster = await startPostgresProcess(dataDir, port);
    await until(async () => (await platform.gql(READ)).errors.length === 0, 'reads to succeed again');
    expect((await fetch(`${platform.orders.url}/readyz`)).status).toBe(200);
    await until(async () => (await checkGrpcHealth(ordersGrpc)) === 'SERVING', 'gRPC health SERVING');
    expect(platform.orders.running).toBe(true);
  }, 120_000);
});
