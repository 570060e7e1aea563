import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startEmbeddedPostgres } from '../../shared/src/database/embedded-postgres';
import { freePort } from '../../shared/src/testing/free-port';
import { TEST_SERVER_URL_VARIABLE } from '../../shared/src/testing/test-database';

/**
 * One PostgreSQL server for the whole run; each test file creates its own fresh databases on
 * it. TEST_DATABASE_URL points at a server of your own (admin rights needed); without it an
 * embedded PostgreSQL starts in a temp folder, so `npm test` needs nothing installed.
 */
export default async function globalSetup(): Promise<void> {
  buildServices();
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    process.env[TEST_SERVER_URL_VARIABLE] = given;
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-test-pg-'));
  const cluster = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'data'),
    port: await freePort(),
    logger: pino({ level: 'silent' }),
    // Tests create and drop many databases; durability buys nothing here.
    extraFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=400'],
  });
  process.env[TEST_SERVER_URL_VARIABLE] = cluster.urlFor('postgres');
  (globalThis as Record<string, unknown>).__fedshopTestCluster = { cluster, dir };
}

/**
 * `npm run build` (tsc -b, incremental: a second or two when nothing changed), so that the tests
 * that start services as processes run the compiled `dist/main.js` the images run, never a stale one.
 */
function buildServices(): void {
  const repoRoot = path.resolve(__dirname, '../..');
  const started = Date.now();
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'pipe' });
  } catch (error) {
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? String(error);
    throw new Error(`npm run build failed, so the compiled services cannot be tested:\n${output}`, { cause: error });
  }
  console.log(`\nbuilt the services (tsc -b) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
