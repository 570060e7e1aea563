import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@fedshop/shared/testing';
import { createPasswordHasher } from '../subgraphs/users/src/security/password-hasher';
import { migrateSubgraphDatabases, seedDatabases, uuidV7, createRandom, type SeedSummary } from './seed-databases';

const VOLUME = { users: 40, orders: 500, products: 12, signInAccounts: 5, minOrdersPerAccount: 20 };
const PASSWORD = 'bench-test-password';

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('seedDatabases', () => {
  let usersDb: TestDatabase;
  let ordersDb: TestDatabase;
  let seed: SeedSummary;

  beforeAll(async () => {
    [usersDb, ordersDb] = await Promise.all([createTestDatabase('bench_seed_users'), createTestDatabase('bench_seed_orders')]);
    await migrateSubgraphDatabases({ usersUrl: usersDb.url, ordersUrl: ordersDb.url });
    seed = await seedDatabases({ usersUrl: usersDb.url, ordersUrl: ordersDb.url, volume: VOLUME, password: PASSWORD, scryptCost: 1024 });
  });
  afterAll(async () => {
    await Promise.all([usersDb?.drop(), ordersDb?.drop()]);
  });

  test('when a volume is seeded into migrated databases, then every table holds it, with 3 items per order on average', () => {
    // 1 + (n mod 5) items per order: 20,000 orders make the issue's 60,000 items, 500 make 1,500.
    expect(seed.counts).toEqual({ users: 40, orders: 500, orderItems: 1_500, products: 12 });
    expect(seed.skus).toHaveLength(12);
  });

  test('when the sign-in accounts are seeded, then each has its minimum of orders and a hash the users service accepts', async () => {
    expect(seed.accounts).toHaveLength(5);
    const hasher = createPasswordHasher(1024);
    const ids = [seed.admin.id, ...seed.accounts.map((account) => account.id)];
    const rows = await query<{ id: string; role: string; password_hash: string }>(
      usersDb.url,
      `SELECT id, role, password_hash FROM users WHERE id IN (${ids.map((id) => `'${id}'`).join(',')})`,
    );
    expect(rows.find((row) => row.id === seed.admin.id)?.role).toBe('ADMIN');
    for (const row of rows) expect(await hasher.verify(PASSWORD, row.password_hash)).toBe(true);
    const counts = await query<{ user_id: string; n: number }>(
      ordersDb.url,
      'SELECT user_id, count(*)::int AS n FROM orders GROUP BY user_id',
    );
    for (const account of seed.accounts) {
      expect(account.orders).toBeGreaterThanOrEqual(20);
      expect(counts.find((row) => row.user_id === account.id)?.n).toBe(account.orders);
    }
  });

  test('when any other account is seeded, then its hash is well-formed but matches no password', async () => {
    const [other] = await query<{ password_hash: string }>(
      usersDb.url,
      `SELECT password_hash FROM users WHERE email = 'shopper00039@bench.fedshop'`,
    );
    expect(other!.password_hash).toMatch(/^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(await createPasswordHasher(1024).verify(PASSWORD, other!.password_hash)).toBe(false);
  });

  test('when orders are seeded, then each total is the sum of its items and loyalty totals match the orders', async () => {
    const mismatched = await query(
      ordersDb.url,
      `SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id GROUP BY o.id, o.total_cents
       HAVING o.total_cents <> sum(i.quantity * i.unit_price_cents) OR count(*) NOT BETWEEN 1 AND 5`,
    );
    expect(mismatched).toEqual([]);
    const spend = await query<{ user_id: string; cents: number }>(
      ordersDb.url,
      `SELECT user_id, sum(total_cents)::int AS cents FROM orders WHERE status <> 'CANCELLED' GROUP BY user_id`,
    );
    const users = await query<{ id: string; lifetime_spend_cents: number }>(usersDb.url, 'SELECT id, lifetime_spend_cents FROM users');
    for (const row of spend) expect(users.find((user) => user.id === row.user_id)?.lifetime_spend_cents).toBe(row.cents);
  });
});

describe('uuidV7', () => {
  test('when ids are made for later instants, then they sort later and carry version 7', () => {
    const random = createRandom(1);
    const ids = [1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000].map((ms) => uuidV7(ms, random));
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
