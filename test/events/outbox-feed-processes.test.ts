import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ORDER_PLACED_SUBJECT, orderEventsV1 } from '@fedshop/shared/events';
import { createTestDatabase, freePort, readMetric, type TestDatabase } from '@fedshop/shared/testing';
import {
  startFakeTokenIssuer,
  startFakeUserService,
  type FakeTokenIssuer,
  type FakeUserService,
} from '../../subgraphs/orders/test/support/network-fakes';
import { graphqlClient } from '../support/graphql-client';
import { ServiceProcess } from '../support/process-platform';

/**
 * Order events with no broker (no NATS_URL, as under `npm start`), between the users and orders
 * services running as separate processes (their compiled `dist/main.js`, as the images run
 * them), each on its own database: users reads the orders outbox as a feed over gRPC.
 *
 * Orders asks the users service about an account before accepting an order, so with users
 * stopped no order could be placed at all. Here orders' account checks and tokens go to fakes at
 * the network boundary (a user.v1.UserService gRPC server and a JWKS endpoint, the same ones the
 * orders service tests use); the users process under test is the loyalty consumer, whose
 * accounts the fakes vouch for.
 */

const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id totalCents } }`;
const SKU = 'FEED-PROC-1';
const PRICE_CENTS = 12_345;

async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('order events across processes with no broker (the outbox feed)', () => {
  let usersDatabase: TestDatabase;
  let ordersDatabase: TestDatabase;
  let usersDb: pg.Pool;
  let ordersDb: pg.Pool;
  let accounts: FakeUserService;
  let tokens: FakeTokenIssuer;
  let users: ServiceProcess;
  let orders: ServiceProcess;
  let dataDir: string;
  const customers: { id: string; token: string }[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-feed-'));
    [usersDatabase, ordersDatabase, accounts, tokens] = await Promise.all([
      createTestDatabase('feed_users'),
      createTestDatabase('feed_orders'),
      startFakeUserService(),
      startFakeTokenIssuer(),
    ]);
    const [usersHttp, ordersHttp, usersGrpc, ordersGrpc] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const common = { NODE_ENV: 'test', HOST: '127.0.0.1', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '10000' };
    users = new ServiceProcess('users', `http://127.0.0.1:${usersHttp}`, {
      ...common,
      PORT: String(usersHttp),
      GRPC_PORT: String(usersGrpc),
      DATABASE_URL: usersDatabase.url,
      DATA_DIR: dataDir,
      ORDER_SERVICE_ADDR: `127.0.0.1:${ordersGrpc}`,
      SCRYPT_COST: '1024',
      EVENTS_MAX_ATTEMPTS: '3',
    });
    orders = new ServiceProcess('orders', `http://127.0.0.1:${ordersHttp}`, {
      ...common,
      PORT: String(ordersHttp),
      GRPC_PORT: String(ordersGrpc),
      DATABASE_URL: ordersDatabase.url,
      USER_SERVICE_ADDR: accounts.address,
      JWKS_URL: tokens.jwksUrl,
      OUTBOX_POLL_MS: '50',
    });
    await Promise.all([users.start(), orders.start()]);
    usersDb = new pg.Pool({ connectionString: usersDatabase.url, max: 3 });
    ordersDb = new pg.Pool({ connectionString: ordersDatabase.url, max: 3 });

    const adminId = randomUUID();
    accounts.setAccount(adminId, 'ACTIVE', 'ADMIN');
    const saved = await graphqlClient(`${orders.url}/graphql`)(
      `mutation($input: ProductInput!) { upsertProduct(input: $input) { sku } }`,
      { input: { sku: SKU, name: 'Feed widget', priceCents: PRICE_CENTS, currency: 'USD', stock: 1_000_000 } },
      { token: await tokens.sign({ id: adminId, role: 'ADMIN' }) },
    );
    expect(saved.errors).toEqual([]);
    for (const name of ['ada', 'bob', 'cy']) {
      const signedUp = await graphqlClient(`${users.url}/graphql`)(
        `mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }`,
        { input: { email: `${name}@example.com`, password: `${name}-password`, name } },
      );
      expect(signedUp.errors).toEqual([]);
      const id = signedUp.data!.signUp.user.id as string;
      accounts.setAccount(id, 'ACTIVE');
      customers.push({ id, token: await tokens.sign({ id, role: 'CUSTOMER' }) });
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all([users, orders].map((service) => service?.kill('SIGTERM')));
    await Promise.all([usersDb?.end(), ordersDb?.end(), accounts?.stop(), tokens?.stop()]);
    await Promise.all([usersDatabase?.drop(), ordersDatabase?.drop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const placeOrder = async (customer: { token: string }, quantity: number) => {
    const placed = await graphqlClient(`${orders.url}/graphql`)(
      PLACE,
      { input: { items: [{ sku: SKU, quantity }], idempotencyKey: randomUUID() } },
      { token: customer.token },
    );
    expect(placed.errors).toEqual([]);
    return placed.data!.placeOrder.id as string;
  };
  const cancelOrder = async (customer: { token: string }, id: string) => {
    const cancelled = await graphqlClient(`${orders.url}/graphql`)(
      `mutation($id: ID!) { cancelOrder(id: $id) { id } }`,
      { id },
      { token: customer.token },
    );
    expect(cancelled.errors).toEqual([]);
  };
  /** Event ids orders wrote (its outbox), and how many of them users applied. */
  const outboxIds = async () => (await ordersDb.query('SELECT id FROM outbox_events')).rows.map((row) => row.id as string);
  const appliedCount = async () =>
    (await usersDb.query('SELECT count(*)::int AS n FROM processed_events WHERE id = ANY($1::uuid[])', [await outboxIds()])).rows[0]
      .n as number;
  const cursor = async () =>
    Number((await usersDb.query(`SELECT position FROM event_feed_cursors WHERE consumer = 'users-loyalty'`)).rows[0]?.position ?? 0);
  const feedHead = async () => Number((await ordersDb.query('SELECT coalesce(max(feed_sequence), 0) AS n FROM outbox_events')).rows[0].n);
  /** Every event written is released into the feed (read from the database: the backlog gauge may be a round old). */
  const released = async () => (await ordersDb.query('SELECT 1 FROM outbox_events WHERE feed_sequence IS NULL')).rowCount === 0;

  /** Each customer's loyalty against the recount from the orders database: placed and not cancelled. */
  async function expectLoyaltyExact(): Promise<void> {
    for (const customer of customers) {
      const recount = (
        await ordersDb.query(
          `SELECT coalesce(sum(total_cents), 0)::int AS spend FROM orders WHERE user_id = $1 AND status <> 'CANCELLED'`,
          [customer.id],
        )
      ).rows[0].spend as number;
      const row = (await usersDb.query('SELECT lifetime_spend_cents AS spend, tier FROM users WHERE id = $1', [customer.id])).rows[0];
      const tier = recount >= 500_000 ? 'GOLD' : recount >= 100_000 ? 'SILVER' : 'STANDARD';
      expect({ customer: customer.id, spend: row.spend, tier: row.tier }).toEqual({ customer: customer.id, spend: recount, tier });
    }
  }

  test('when users is stopped while 20 orders are placed (and 2 cancelled), then once it is back every event is applied once and the tiers are exact', async () => {
    expect(await (await fetch(`${users.url}/readyz`)).json()).toMatchObject({ events: { transport: 'outbox-feed' } });
    expect(await (await fetch(`${orders.url}/readyz`)).json()).toMatchObject({ events: { transport: 'outbox-feed' } });
    // Users' lag is unknown (NaN) until orders has answered it once.
    await until(async () => (await readMetric(users.url, 'events_consumer_lag')) === 0, 'users to be reading the feed');
    await users.kill('SIGTERM');

    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await placeOrder(customers[i % 2]!, 1 + (i % 4)));
    await cancelOrder(customers[0]!, ids[0]!);
    await cancelOrder(customers[1]!, ids[1]!);
    await until(released, 'the relay to release the events');
    // Orders keeps what the stopped consumer has not read, and says how far behind it is.
    await until(
      async () => (await readMetric(orders.url, 'outbox_feed_consumer_lag', { consumer: 'users-loyalty' })) === 22,
      'orders to count 22 unread',
    );
    expect(await appliedCount()).toBe(0);

    await users.start();
    await until(async () => (await appliedCount()) === 22, 'the 22 events to be applied');
    await until(async () => (await cursor()) === (await feedHead()), 'the cursor to reach the head');

    expect(await appliedCount()).toBe(22);
    await expectLoyaltyExact();
    expect(await readMetric(users.url, 'events_consumed_total', { result: 'applied' })).toBe(22);
    expect(await readMetric(users.url, 'events_consumed_total', { result: 'duplicate' })).toBe(0);
    expect(await readMetric(users.url, 'events_consumer_lag')).toBe(0);
    await until(
      async () => (await readMetric(orders.url, 'outbox_feed_consumer_lag', { consumer: 'users-loyalty' })) === 0,
      'orders to see users caught up',
    );
  }, 120_000);

  test('when orders is killed (SIGKILL) in the middle of delivering a backlog, then after its restart nothing is lost or applied twice', async () => {
    await users.kill('SIGTERM');
    const before = await appliedCount();
    const [ada, bob, cy] = customers as [(typeof customers)[0], (typeof customers)[0], (typeof customers)[0]];
    // 150 events, more than one page of the feed; cy's first order is the 31st.
    for (let i = 0; i < 150; i++) await placeOrder(i < 30 ? [ada, bob][i % 2]! : [cy, ada, bob][(i - 30) % 3]!, 1 + (i % 3));
    await until(released, 'the relay to release the backlog');

    // Hold cy's row: the consumer stops on cy's first event, with the backlog half delivered.
    let linesBeforeKill = Number.POSITIVE_INFINITY;
    const holder = await usersDb.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [cy.id]);
      await users.start();
      await until(
        async () =>
          (await usersDb.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'users' AND wait_event_type = 'Lock'`)).rowCount! >
          0,
        'the consumer to reach the held row',
      );
      expect((await appliedCount()) - before).toBe(30);

      linesBeforeKill = users.logLines().length;
      const killed = await orders.kill('SIGKILL');
      expect(killed.signal).toBe('SIGKILL');
    } finally {
      await holder.query('COMMIT');
      holder.release();
    }
    // The consumer finishes the page it had and then finds orders gone.
    await until(
      async () =>
        users
          .logLines()
          .slice(linesBeforeKill)
          .some((line) => line.msg === 'order feed unavailable (orders or this database down); retrying with backoff'),
      'users to notice',
    );
    const whileDown = await appliedCount();
    expect(whileDown - before).toBeLessThan(150);
    expect(await cursor()).toBe((await feedHead()) - (150 - (whileDown - before)));

    await orders.start();
    const after = await placeOrder(ada, 2);
    await until(async () => (await appliedCount()) - before === 151, 'the rest of the backlog and the new order');
    await until(async () => (await cursor()) === (await feedHead()), 'the cursor to reach the head');

    expect((await appliedCount()) - before).toBe(151);
    expect(await readMetric(users.url, 'events_consumed_total', { result: 'applied' })).toBe(151);
    expect(await readMetric(users.url, 'events_consumed_total', { result: 'duplicate' })).toBe(0);
    const [newest] = (await ordersDb.query(`SELECT id FROM outbox_events ORDER BY feed_sequence DESC LIMIT 1`)).rows;
    expect(
      orderEventsV1.OrderPlaced.decode(
        (await ordersDb.query('SELECT payload FROM outbox_events WHERE id = $1', [newest.id])).rows[0].payload,
      ).orderId,
    ).toBe(after);
    await expectLoyaltyExact();
  }, 180_000);

  test('when poisoned events reach the feed, then users parks and counts them and the events after them flow', async () => {
    const [ada] = customers;
    const parkedBefore = await readMetric(users.url, 'events_parked');
    // What a producer bug could write: bytes no reader can decode, and a total no account can hold.
    const garbage = randomUUID();
    const tooBig = randomUUID();
    await ordersDb.query(`INSERT INTO outbox_events (id, subject, payload) VALUES ($1, $2, $3)`, [
      garbage,
      ORDER_PLACED_SUBJECT,
      Buffer.from([0x0a, 0xff, 0x01]),
    ]);
    await ordersDb.query(`INSERT INTO outbox_events (id, subject, payload) VALUES ($1, $2, $3)`, [
      tooBig,
      ORDER_PLACED_SUBJECT,
      Buffer.from(
        orderEventsV1.OrderPlaced.encode({
          eventId: tooBig,
          orderId: randomUUID(),
          userId: ada!.id,
          totalCents: 2 ** 40,
          currency: 'USD',
          occurredAt: new Date(),
        }).finish(),
      ),
    ]);
    const later = await placeOrder(ada!, 1);

    const laterEvents = await eventIdsOf(later);
    expect(laterEvents).toHaveLength(1);
    await until(
      async () => (await usersDb.query('SELECT 1 FROM processed_events WHERE id = ANY($1::uuid[])', [laterEvents])).rowCount === 1,
      'the later order to apply',
    );

    const parked = (await usersDb.query('SELECT message_id, attempts FROM parked_events ORDER BY sequence')).rows;
    expect(parked).toEqual([
      { message_id: garbage, attempts: 1 },
      { message_id: tooBig, attempts: 3 },
    ]);
    expect((await readMetric(users.url, 'events_parked')) - parkedBefore).toBe(2);
    expect(await readMetric(users.url, 'events_consumed_total', { result: 'parked' })).toBe(2);
    expect(await readMetric(users.url, 'events_redeliveries_total')).toBeGreaterThanOrEqual(2);
    const parkedLines = () =>
      users
        .logLines()
        .filter((line) => line.msg === 'order event parked: it cannot be applied')
        .map((line) => [line.level, line.messageId]);
    // Log lines are written in batches (flushed every 250 ms): wait for both to be out.
    await until(async () => parkedLines().length >= 2, 'both parked events to be logged');
    expect(parkedLines()).toEqual([
      ['error', garbage],
      ['error', tooBig],
    ]);
    await expectLoyaltyExact();
  }, 120_000);

  /** The ids of the events orders wrote about one order. */
  async function eventIdsOf(orderId: string): Promise<string[]> {
    const rows = (await ordersDb.query(`SELECT id, payload FROM outbox_events WHERE subject = $1`, [ORDER_PLACED_SUBJECT])).rows;
    return rows
      .filter((row) => {
        try {
          return orderEventsV1.OrderPlaced.decode(row.payload).orderId === orderId;
        } catch {
          return false;
        }
      })
      .map((row) => row.id as string);
  }
});
