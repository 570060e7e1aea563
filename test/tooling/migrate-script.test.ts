import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { readMigrations } from '@fedshop/shared/database';
import { createTestDatabase, type TestDatabase } from '@fedshop/shared/testing';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(__dirname, '../..');

async function npmRunMigrate(env: Record<string, string>, args: string[] = []) {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'migrate', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('npm run migrate', () => {
  let users: TestDatabase;
  let orders: TestDatabase;
  beforeAll(async () => {
    [users, orders] = await Promise.all([createTestDatabase('migrate_users'), createTestDatabase('migrate_orders')]);
  });
  afterAll(async () => {
    await Promise.all([users?.drop(), orders?.drop()]);
  });

  test('when both URLs are given, then every migration is applied once and a second run finds nothing to do', async () => {
    const env = { USERS_DATABASE_URL: users.url, ORDERS_DATABASE_URL: orders.url };
    const first = await npmRunMigrate(env);
    expect(first.code).toBe(0);
    expect(first.output).toMatch(/users: applied \d+_init/);
    expect(first.output).toMatch(/orders: applied \d+_init/);
    const second = await npmRunMigrate(env);
    expect(second.code).toBe(0);
    expect(second.output).toContain('users: up to date');
    expect(second.output).toContain('orders: up to date');

    const client = new pg.Client({ connectionString: orders.url });
    await client.connect();
    const rows = (await client.query('SELECT migration_name, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name')).rows;
    await client.end();
    const committed = readMigrations(path.join(REPO_ROOT, 'prisma/orders/migrations')).map((migration) => migration.name);
    expect(rows.map((row) => row.migration_name)).toEqual(committed);
    expect(rows.every((row) => row.applied_steps_count === 1)).toBe(true);
  });

  test('when a URL is missing, then it names the variable and changes nothing', async () => {
    const result = await npmRunMigrate({ USERS_DATABASE_URL: users.url });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('ORDERS_DATABASE_URL');
  });

  test('when one workspace migrates, then it reads DATABASE_URL', async () => {
    const fresh = await createTestDatabase('migrate_one');
    try {
      const result = await npmRunMigrate({ DATABASE_URL: fresh.url }, ['-w', 'subgraphs/users']);
      expect(result.code).toBe(0);
      expect(result.output).toMatch(/users: applied/);
    } finally {
      await fresh.drop();
    }
  });
});
