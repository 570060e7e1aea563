import pg from 'pg';
import pino from 'pino';
import { applyMigrations } from '@fedshop/shared/database';
import { SUBGRAPH_DATABASES } from '../scripts/lib/subgraph-databases';
import { tierFor } from '../subgraphs/users/src/domain/customer-tier';
import { createPasswordHasher } from '../subgraphs/users/src/security/password-hasher';

/** How much data the benchmark runs on. */
export interface SeedVolume {
  /** Accounts, the admin included. */
  users: number;
  orders: number;
  /** Catalog size. */
  products: number;
  /** Customers given a real password hash (the ones the benchmark signs in as); they all have ≥ `minOrdersPerAccount` orders. */
  signInAccounts: number;
  /** Fewest orders a sign-in account has, so a page of `me { orders(first: 20) }` is always full. */
  minOrdersPerAccount: number;
}

/** The volume issue 8 asks for: 1,000 users, 20,000 orders, 60,000 order items (1–5 per order, 3 on average), 200 products. */
export const ISSUE_VOLUME: SeedVolume = { users: 1_000, orders: 20_000, products: 200, signInAccounts: 50, minOrdersPerAccount: 20 };

export interface SeedOptions {
  /** URL of the users subgraph's database, migrated and empty. */
  usersUrl: string;
  /** URL of the orders subgraph's database, migrated and empty. */
  ordersUrl: string;
  volume: SeedVolume;
  /** The one password of the admin and every sign-in account. */
  password: string;
  /** scrypt N of the stored hashes; default 16384 (the users service's default). */
  scryptCost?: number;
  /** Seed of the pseudo-random generator behind names, ids, owners, items and statuses: same seed and `now`, same data. Default 8. */
  randomSeed?: number;
  /** "Now" of the generated timestamps; default the current time. */
  now?: Date;
}

interface SeededAccount {
  id: string;
  email: string;
  /** Orders this account has after seeding. */
  orders: number;
}

export interface SeedSummary {
  /** Rows in each table after seeding, counted by PostgreSQL. */
  counts: { users: number; orders: number; orderItems: number; products: number };
  admin: SeededAccount;
  /** Customers whose password is `password`, each with at least `minOrdersPerAccount` orders. */
  accounts: SeededAccount[];
  /** Every sku of the catalog. */
  skus: string[];
  durationMs: number;
}

/** Applies each subgraph's migrations (the same applier the services run at start) to its database. */
export async function migrateSubgraphDatabases(urls: { usersUrl: string; ordersUrl: string }): Promise<void> {
  const logger = pino({ level: 'silent' });
  await Promise.all(
    (
      [
        [urls.usersUrl, SUBGRAPH_DATABASES.users.migrations],
        [urls.ordersUrl, SUBGRAPH_DATABASES.orders.migrations],
      ] as const
    ).map(async ([url, dir]) => {
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      try {
        await applyMigrations(pool, dir, logger);
      } finally {
        await pool.end();
      }
    }),
  );
}

/** Small deterministic generator (mulberry32): the same seed gives the same data set. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A UUIDv7 for the given instant, as the services' `uuid(7)` defaults make them: ids sort by creation time. */
export function uuidV7(ms: number, random: () => number): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(ms, 0, 6);
  for (let i = 6; i < 16; i++) bytes[i] = Math.floor(random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const FIRST_NAMES = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Ken',
  'Margaret',
  'Dennis',
  'Radia',
  'Linus',
  'Katherine',
  'John',
  'Hedy',
  'Tim',
];
const LAST_NAMES = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Hamilton',
  'Ritchie',
  'Perlman',
  'Torvalds',
  'Johnson',
  'Backus',
  'Lamarr',
  'Berners-Lee',
];
const PRODUCT_KINDS = [
  'Keyboard',
  'Mouse',
  'Monitor',
  'Headset',
  'Cable',
  'Dock',
  'Chair',
  'Desk',
  'Lamp',
  'Webcam',
  'Speaker',
  'SSD',
  'Router',
  'Charger',
  'Backpack',
  'Tablet',
  'Microphone',
  'Hub',
  'Stand',
  'Mat',
];
const DAY_MS = 86_400_000;

interface ProductRow {
  sku: string;
  name: string;
  priceCents: number;
}

/**
 * Loads a realistic volume straight into the two subgraphs' databases with SQL (a few
 * multi-row INSERTs per table, through the services' real tables; migrations must have run):
 * users with names and emails (every tenth without orders), orders spread over a year with
 * mixed statuses, 1–5 items each at the catalog price, and loyalty totals that match the
 * orders. Only the admin and the sign-in accounts get a real scrypt hash of `password`; every
 * other account gets a well-formed hash no password matches (hashing 1,000 passwords would
 * cost a minute and buy nothing). Deterministic for a given `randomSeed` and `now`.
 */
export async function seedDatabases(options: SeedOptions): Promise<SeedSummary> {
  const started = Date.now();
  const { volume } = options;
  if (volume.users < volume.signInAccounts + 1) throw new Error('the volume needs more users than sign-in accounts');
  const random = createRandom(options.randomSeed ?? 8);
  const now = (options.now ?? new Date()).getTime();
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const realHash = await createPasswordHasher(options.scryptCost ?? 16_384).hash(options.password);
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => Math.floor(random() * 256))).toString('base64url');
  const unusableHash = () => ['scrypt', options.scryptCost ?? 16_384, 8, 1, bytes(16), bytes(32)].join('$');

  // Products: skus in catalog order, prices from 5 to 600 dollars, stock no benchmark exhausts.
  const products: ProductRow[] = Array.from({ length: volume.products }, (_, i) => ({
    sku: `BN-${String(i + 1).padStart(4, '0')}`,
    name: `${PRODUCT_KINDS[i % PRODUCT_KINDS.length]} ${Math.floor(i / PRODUCT_KINDS.length) + 1}`,
    priceCents: 500 + Math.floor(random() * 1_200) * 50,
  }));

  // Users: created over the year before last, so their UUIDv7 ids sort by creation. User 0 is the admin.
  const userCreated = Array.from(
    { length: volume.users },
    (_, i) => now - 2 * 365 * DAY_MS + Math.floor((i * 365 * DAY_MS) / volume.users),
  );
  const userIds = userCreated.map((ms) => uuidV7(ms, random));
  const emails = userIds.map((_, i) => (i === 0 ? 'admin@bench.fedshop' : `shopper${String(i).padStart(5, '0')}@bench.fedshop`));
  const names = userIds.map((_, i) => (i === 0 ? 'Bench Admin' : `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)}`));

  // Orders: sign-in accounts (customers 1..signInAccounts) first get their minimum; the rest go
  // to random shoppers, every tenth customer having none.
  const shoppers = userIds.map((_, i) => i).filter((i) => i > 0 && i % 10 !== 0);
  const accountIndexes = shoppers.slice(0, volume.signInAccounts);
  const owners: number[] = [];
  for (const index of accountIndexes)
    for (let n = 0; n < volume.minOrdersPerAccount && owners.length < volume.orders; n++) owners.push(index);
  while (owners.length < volume.orders) owners.push(pick(shoppers));

  const orderRows = {
    id: [] as string[],
    userId: [] as string[],
    status: [] as string[],
    total: [] as number[],
    key: [] as string[],
    createdAt: [] as string[],
  };
  const itemRows = { orderId: [] as string[], sku: [] as string[], quantity: [] as number[], price: [] as number[] };
  const ordersPerUser = new Map<number, number>();
  const spendPerUser = new Map<number, number>();
  const yearAgo = now - 365 * DAY_MS;
  owners.forEach((owner, j) => {
    const createdAt = yearAgo + Math.floor(random() * (365 * DAY_MS - 3_600_000));
    const id = uuidV7(createdAt, random);
    // 1 to 5 distinct products (3 on average: 20,000 orders make 60,000 items).
    const lines = Math.min(1 + (j % 5), products.length);
    const chosen = new Set<number>();
    while (chosen.size < lines) chosen.add(Math.floor(random() * products.length));
    let total = 0;
    for (const index of chosen) {
      const product = products[index]!;
      const quantity = 1 + Math.floor(random() * 3);
      total += quantity * product.priceCents;
      itemRows.orderId.push(id);
      itemRows.sku.push(product.sku);
      itemRows.quantity.push(quantity);
      itemRows.price.push(product.priceCents);
    }
    const roll = random();
    const status = roll < 0.8 ? 'CONFIRMED' : roll < 0.95 ? 'SHIPPED' : 'CANCELLED';
    orderRows.id.push(id);
    orderRows.userId.push(userIds[owner]!);
    orderRows.status.push(status);
    orderRows.total.push(total);
    orderRows.key.push(`seed-${j}`);
    orderRows.createdAt.push(new Date(createdAt).toISOString());
    ordersPerUser.set(owner, (ordersPerUser.get(owner) ?? 0) + 1);
    if (status !== 'CANCELLED') spendPerUser.set(owner, (spendPerUser.get(owner) ?? 0) + total);
  });

  const spend = userIds.map((_, i) => spendPerUser.get(i) ?? 0);
  const signInIndexes = new Set([0, ...accountIndexes]);
  await withTransaction(options.usersUrl, async (client) => {
    await client.query(
      `INSERT INTO users (id, email, name, password_hash, role, status, lifetime_spend_cents, tier, created_at, updated_at)
       SELECT id, email, name, hash, role::"Role", 'ACTIVE', spend, tier::"CustomerTier", created, created
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::timestamptz[])
         AS t(id, email, name, hash, role, spend, tier, created)`,
      [
        userIds,
        emails,
        names,
        userIds.map((_, i) => (signInIndexes.has(i) ? realHash : unusableHash())),
        userIds.map((_, i) => (i === 0 ? 'ADMIN' : 'CUSTOMER')),
        spend,
        spend.map((cents) => tierFor(cents)),
        userCreated.map((ms) => new Date(ms).toISOString()),
      ],
    );
  });
  await withTransaction(options.ordersUrl, async (client) => {
    await client.query(
      `INSERT INTO products (sku, name, price_cents, currency, stock, created_at, updated_at)
       SELECT sku, name, price, 'USD', 1000000000, now(), now() FROM unnest($1::text[], $2::text[], $3::int[]) AS t(sku, name, price)`,
      [products.map((p) => p.sku), products.map((p) => p.name), products.map((p) => p.priceCents)],
    );
    await client.query(
      `INSERT INTO orders (id, user_id, status, total_cents, currency, idempotency_key, created_at, updated_at)
       SELECT id, user_id, status::"OrderStatus", total, 'USD', key, created, created
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::timestamptz[]) AS t(id, user_id, status, total, key, created)`,
      [orderRows.id, orderRows.userId, orderRows.status, orderRows.total, orderRows.key, orderRows.createdAt],
    );
    await client.query(
      `INSERT INTO order_items (order_id, sku, quantity, unit_price_cents)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[])`,
      [itemRows.orderId, itemRows.sku, itemRows.quantity, itemRows.price],
    );
  });
  // Statistics and visibility maps as a database of this size would have them, now: plans use the
  // indexes from the first query on, and autovacuum has nothing to do while the load runs.
  await Promise.all([runStatement(options.usersUrl, 'VACUUM (ANALYZE)'), runStatement(options.ordersUrl, 'VACUUM (ANALYZE)')]);

  const [usersCount, ordersCounts] = await Promise.all([
    queryOne(options.usersUrl, 'SELECT count(*)::int AS users FROM users'),
    queryOne(
      options.ordersUrl,
      'SELECT (SELECT count(*)::int FROM orders) AS orders, (SELECT count(*)::int FROM order_items) AS items, (SELECT count(*)::int FROM products) AS products',
    ),
  ]);
  const account = (i: number): SeededAccount => ({ id: userIds[i]!, email: emails[i]!, orders: ordersPerUser.get(i) ?? 0 });
  return {
    counts: {
      users: usersCount.users as number,
      orders: ordersCounts.orders as number,
      orderItems: ordersCounts.items as number,
      products: ordersCounts.products as number,
    },
    admin: account(0),
    accounts: accountIndexes.map(account),
    skus: products.map((p) => p.sku),
    durationMs: Date.now() - started,
  };
}

async function withTransaction(url: string, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await work(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

async function runStatement(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function queryOne(url: string, sql: string): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows[0] as Record<string, unknown>;
  } finally {
    await client.end();
  }
}
