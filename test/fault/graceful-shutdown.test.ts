import pg from 'pg';
import { startProcessPlatform, type ProcessPlatform } from '../support/process-platform';
import { readMetric } from '../support/test-platform';

const READ = 'query Read($first: Int!) { products(first: $first) { totalCount edges { node { sku stock } } } }';

describe('fault: a subgraph is told to stop while requests are in flight', () => {
  let platform: ProcessPlatform;
  let ordersDb: pg.Pool;

  beforeAll(async () => {
    platform = await startProcessPlatform();
    ordersDb = new pg.Pool({ connectionString: platform.ordersDatabase.url, max: 2 });
  }, 120_000);
  afterAll(async () => {
    await ordersDb?.end();
    await platform?.stop();
  });

  test('when orders gets SIGTERM with 50 requests in flight, then all 50 complete, readiness drops at once and it exits cleanly', async () => {
    // Hold the requests inside the orders service: they wait on a table lock this test owns.
    const blocker = await ordersDb.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE products IN ACCESS EXCLUSIVE MODE');
    // 50 different pages: identical queries in flight would share one subgraph call (SUBGRAPH_DEDUPLICATION).
    const inFlight = Array.from({ length: 50 }, (_, index) => platform.gql(READ, { first: index + 1 }));
    try {
      // 50 requests plus the /metrics request that counts them.
      const deadline = Date.now() + 20_000;
      while ((await readMetric(platform.orders.url, 'http_server_requests_in_flight')) < 51) {
        if (Date.now() > deadline) throw new Error('the 50 requests never reached the orders service');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const exited = platform.orders.signal('SIGTERM');
      // Readiness fails at once: new connections are refused (or answered 503).
      const readiness = await fetch(`${platform.orders.url}/readyz`).then(
        (r) => r.status,
        () => 'refused',
      );
      expect([503, 'refused']).toContain(readiness);
      await blocker.query('COMMIT');
      const responses = await Promise.all(inFlight);
      for (const response of responses) {
        expect(response.status).toBe(200);
        expect(response.errors).toEqual([]);
        expect(response.data!.products.totalCount).toBeGreaterThan(0);
      }
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(platform.orders.logs()).toContain('orders service stopped');
    } finally {
      blocker.release();
    }
  }, 120_000);
});
