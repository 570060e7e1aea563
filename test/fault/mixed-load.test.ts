import { formatReport, runMixedLoad } from '../support/mixed-load';
import { startTestPlatform, type TestPlatform } from '../support/test-platform';

describe('fault: a short mixed read/write load (npm run soak runs the long one)', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(async () => {
    await platform?.stop();
  });

  test('when reads, orders, cancellations and shipments interleave, then stock, totals and status codes stay consistent', async () => {
    const report = await runMixedLoad({ gql: platform.gql, ordersDatabaseUrl: platform.ordersDatabase.url, durationMs: 5_000 });
    const failed = report.invariants.filter((check) => !check.ok);
    expect(failed).toEqual([]);
    expect(report.ordersPlaced).toBeGreaterThan(10);
    expect(report.requests).toBeGreaterThan(50);
    expect(formatReport(report)).toContain('invariants');
  }, 120_000);
});
