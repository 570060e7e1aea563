import path from 'node:path';
import pino from 'pino';
import { startEmbeddedPostgres } from '@fedshop/shared/database/embedded-postgres';
import { createTestDatabase, freePort, TEST_SERVER_URL_VARIABLE, type TestDatabase } from '@fedshop/shared/testing';
import type { Teardown } from './teardown';

export interface BenchDatabases {
  users: TestDatabase;
  orders: TestDatabase;
}

/**
 * The users and orders databases, empty, on one PostgreSQL: the server given (admin rights), else
 * an embedded one in `<workDir>/pg`. The databases are dropped and the embedded server stopped
 * by the teardown.
 */
export async function createBenchDatabases(
  options: { workDir: string; databaseServerUrl?: string },
  teardown: Teardown,
): Promise<BenchDatabases> {
  if (options.databaseServerUrl) {
    process.env[TEST_SERVER_URL_VARIABLE] = options.databaseServerUrl;
  } else {
    const cluster = await startEmbeddedPostgres({
      dataDir: path.join(options.workDir, 'pg'),
      port: await freePort(),
      logger: pino({ level: 'silent' }),
      // Durability is not what is compared: commits do not wait for the disk (BENCHMARKS.md).
      extraFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    });
    teardown.add(() => cluster.stop());
    process.env[TEST_SERVER_URL_VARIABLE] = cluster.urlFor('postgres');
  }
  const [users, orders] = await Promise.all([createTestDatabase('bench_users'), createTestDatabase('bench_orders')]);
  for (const database of [users, orders]) teardown.add(() => database.drop());
  return { users, orders };
}
