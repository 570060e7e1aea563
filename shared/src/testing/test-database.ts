import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Set by the jest global setup: an admin URL of the PostgreSQL server tests create databases on. */
export const TEST_SERVER_URL_VARIABLE = 'FEDSHOP_TEST_POSTGRES_URL';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env[TEST_SERVER_URL_VARIABLE];
  if (!url) throw new Error(`${TEST_SERVER_URL_VARIABLE} is not set: run tests through jest (its global setup provides PostgreSQL)`);
  return url;
}

/**
 * A fresh, empty database for one test file (or one service of it) on the test server, so
 * tests never share state. Dropped with `drop()`.
 */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl() });
      await client.connect();
      try {
        // pg's Pool.end() resolves before its connections have finished closing; terminating them
        // mid-close (FORCE) makes their clients emit an unhandled 57P01 error in the test that
        // ran it. So wait briefly for them to leave, then force whatever is really left.
        for (let waited = 0; waited < 2_000; waited += 50) {
          const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
          if (rows[0]!.n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
