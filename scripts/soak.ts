/**
 * `npm run soak [-- --seconds 60 --concurrency 8]`: the long version of the mixed-load fault
 * test. Starts the three services in this process on a throw-away embedded PostgreSQL (or
 * TEST_DATABASE_URL's server), drives reads, orders, cancellations and shipments through the
 * gateway, then prints totals and the invariant checks; exits 1 if any invariant broke.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startEmbeddedPostgres, type RunningEmbeddedPostgres } from '@fedshop/shared/database/embedded-postgres';
import { freePort, TEST_SERVER_URL_VARIABLE } from '@fedshop/shared/testing';
import { formatReport, runMixedLoad } from '../test/support/mixed-load';
import { startTestPlatform } from '../test/support/test-platform';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '60' }, concurrency: { type: 'string', default: '8' } },
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  if (!(seconds > 0) || !(concurrency > 0)) throw new Error('--seconds and --concurrency must be positive numbers');

  let cluster: RunningEmbeddedPostgres | undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-soak-'));
  if (process.env.TEST_DATABASE_URL) {
    process.env[TEST_SERVER_URL_VARIABLE] = process.env.TEST_DATABASE_URL;
  } else {
    cluster = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), logger: pino({ level: 'silent' }) });
    process.env[TEST_SERVER_URL_VARIABLE] = cluster.urlFor('postgres');
  }
  const platform = await startTestPlatform();
  try {
    console.log(`soak: ${seconds} s, ${concurrency} concurrent clients, through ${platform.gatewayUrl}/graphql`);
    const report = await runMixedLoad({
      gql: platform.gql,
      ordersDatabaseUrl: platform.ordersDatabase.url,
      durationMs: seconds * 1000,
      concurrency,
    });
    console.log(formatReport(report));
    const failed = report.invariants.filter((check) => !check.ok);
    console.log(failed.length === 0 ? 'soak: all invariants hold' : `soak: ${failed.length} invariant(s) broken`);
    // What the services logged at error level explains an unexpected error code.
    for (const [service, captured] of Object.entries(platform.logs)) {
      for (const line of captured
        .lines()
        .filter((entry) => entry.level === 'error' || entry.level === 'fatal')
        .slice(0, 10)) {
        console.log(`${service} logged: ${JSON.stringify(line)}`);
      }
    }
    process.exitCode = failed.length === 0 ? 0 : 1;
  } finally {
    await platform.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
