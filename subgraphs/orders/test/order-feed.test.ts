import { randomUUID } from 'node:crypto';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import {
  ORDER_CANCELLED_SUBJECT,
  ORDER_PLACED_SUBJECT,
  ORDER_SHIPPED_SUBJECT,
  PRODUCT_CHANGED_SUBJECT,
  orderEventsV1,
} from '@fedshop/shared/events';
import { orderV1 } from '@fedshop/shared/grpc';
import { applyMigrations } from '@fedshop/shared/database';
import { captureLogger, createTestDatabase, readMetric, type TestDatabase } from '@fedshop/shared/testing';
import { PrismaClient } from '../src/generated/prisma/client';
import { ORDERS_MIGRATIONS_DIR } from '../src/migrations';
import { createOutboxRepository, type OutboxRepository } from '../src/repositories/outbox-repository';
import { startOrdersUnderTest, uniqueSku, type Account, type OrdersUnderTest } from './support/orders-under-test';

/**
 * The order events feed (order.v1.OrderService/ListOrderEvents), what a consumer reads when no
 * broker is configured: the real orders service on a fresh database, called over real gRPC.
 */
describe('gRPC order.v1.OrderService/ListOrderEvents: the outbox as an ordered feed', () => {
  let orders: OrdersUnderTest;
  let client: orderV1.OrderServiceClient;
  let buyer: Account;
  let admin: Account;
  let sku: string;

  beforeAll(async () => {
    orders = await startOrdersUnderTest({ OUTBOX_POLL_MS: '50' });
    client = new orderV1.OrderServiceClient(`127.0.0.1:${orders.grpcPort}`, credentials.createInsecure());
    [buyer, admin] = [await orders.account(), await orders.account({ role: 'ADMIN' })];
    sku = uniqueSku('FEED');
    await orders.upsertProduct({ sku, stock: 1_000, priceCents: 250 });
  });
  afterEach(() => {
    expect(orders.takeErrorLogs()).toEqual([]);
  });
  afterAll(async () => {
    client?.close();
    await orders?.stop();
  });

  function list(request: Partial<orderV1.ListOrderEventsRequest>): Promise<orderV1.ListOrderEventsResponse> {
    const full = { consumer: 'feed-test', afterSequence: 0, limit: 0, waitMs: 0, ...request };
    return new Promise((resolve, reject) => {
      client.listOrderEvents(
        full,
        new Metadata(),
        { deadline: Date.now() + full.waitMs + 5_000 },
        (error: ServiceError | null, response) => (error ? reject(error) : resolve(response)),
      );
    });
  }

  async function placeOrder(quantity: number): Promise<string> {
    const placed = await orders.gql(
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
      { input: { items: [{ sku, quantity }], idempotencyKey: randomUUID() } },
      { token: buyer.token },
    );
    if (placed.errors.length > 0) throw new Error(JSON.stringify(placed.errors));
    return placed.data!.placeOrder.id;
  }

  /** Reads the whole feed after `after` (long polls until `count` events came). */
  async function readEvents(count: number, after = 0, consumer = 'feed-test'): Promise<orderV1.OrderEvent[]> {
    const events: orderV1.OrderEvent[] = [];
    while (events.length < count) {
      const page = await list({ consumer, afterSequence: events.at(-1)?.sequence ?? after, waitMs: 5_000 });
      if (page.events.length === 0) throw new Error(`the feed ended after ${events.length} of ${count} events`);
      events.push(...page.events);
    }
    return events;
  }

  /** The order an event is about (a product change: `product:<sku>`). */
  const orderIdOf = (event: orderV1.OrderEvent) => {
    if (event.subject === ORDER_PLACED_SUBJECT) return orderEventsV1.OrderPlaced.decode(event.payload).orderId;
    if (event.subject === ORDER_CANCELLED_SUBJECT) return orderEventsV1.OrderCancelled.decode(event.payload).orderId;
    if (event.subject === ORDER_SHIPPED_SUBJECT) return orderEventsV1.OrderShipped.decode(event.payload).orderId;
    return `product:${orderEventsV1.ProductChanged.decode(event.payload).sku}`;
  };

  test('when orders are placed, cancelled and shipped, then the feed holds one event per change, in order, numbered from 1 (after the product set up first)', async () => {
    const first = await placeOrder(1);
    const second = await placeOrder(2);
    await orders.gql(`mutation($id: ID!) { cancelOrder(id: $id) { id } }`, { id: first }, { token: buyer.token });
    await orders.gql(`mutation($id: ID!) { shipOrder(id: $id) { id } }`, { id: second }, { token: admin.token });
    const third = await placeOrder(3);

    const events = await readEvents(6);

    expect(events.map((event) => event.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.map((event) => [event.subject, orderIdOf(event)])).toEqual([
      [PRODUCT_CHANGED_SUBJECT, `product:${sku}`],
      [ORDER_PLACED_SUBJECT, first],
      [ORDER_PLACED_SUBJECT, second],
      [ORDER_CANCELLED_SUBJECT, first],
      [ORDER_SHIPPED_SUBJECT, second],
      [ORDER_PLACED_SUBJECT, third],
    ]);
    // The envelope matches the payload and the outbox row, as a JetStream message would.
    const placed = events[1];
    expect(orderEventsV1.OrderPlaced.decode(placed!.payload)).toMatchObject({
      eventId: placed!.eventId,
      userId: buyer.id,
      totalCents: 250,
    });
    const row = (
      await orders.sql.query('SELECT feed_sequence::int AS sequence, published_at FROM outbox_events WHERE id = $1', [placed!.eventId])
    ).rows[0];
    expect(row.sequence).toBe(2);
    expect(row.published_at).toBeInstanceOf(Date);
    expect(events.every((event) => event.recordedAt instanceof Date && !event.redelivered)).toBe(true);
    // Nothing follows, and the feed says where it ends.
    expect(await list({ afterSequence: 6 })).toEqual({ events: [], headSequence: 6 });
  });

  test('when a consumer asks from a position with a limit, then it gets the events after it, at most that many, and the head', async () => {
    const page = await list({ consumer: 'paging', afterSequence: 1, limit: 2 });

    expect(page.events.map((event) => event.sequence)).toEqual([2, 3]);
    expect(page.headSequence).toBe(6);
  });

  test('when a consumer asks again from an earlier position (it crashed before applying), then what it was handed before comes marked redelivered', async () => {
    await list({ consumer: 'crashy', afterSequence: 0, limit: 3 });

    const again = await list({ consumer: 'crashy', afterSequence: 1, limit: 10 });

    expect(again.events.map((event) => [event.sequence, event.redelivered])).toEqual([
      [2, true],
      [3, true],
      [4, false],
      [5, false],
      [6, false],
    ]);
  });

  test('when nothing follows the position, then the call waits and answers with the next event once it is released', async () => {
    const head = (await list({})).headSequence;
    const waiting = list({ consumer: 'waiter', afterSequence: head, waitMs: 20_000 });
    // The call is at orders, waiting (its consumer row is written when it arrives).
    for (let tries = 0; (await orders.sql.query(`SELECT 1 FROM outbox_consumers WHERE name = 'waiter'`)).rowCount === 0; tries++) {
      if (tries > 200) throw new Error('the long poll never reached orders');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const id = await placeOrder(1);

    const page = await waiting;

    expect(page.events.map(orderIdOf)).toEqual([id]);
    expect(page.events[0]!.sequence).toBe(head + 1);
  });

  test('when a transaction writes an event and commits after a later one was released, then the feed still hands it over after that one', async () => {
    // The classic outbox gap: `seq` is taken at insert, so a slow transaction can commit a
    // lower seq after a reader moved past a higher one. Feed sequences are given at release.
    const head = (await list({})).headSequence;
    const slow = await orders.sql.connect();
    const slowId = randomUUID();
    try {
      await slow.query('BEGIN');
      await slow.query(`INSERT INTO outbox_events (id, subject, payload) VALUES ($1, $2, $3)`, [
        slowId,
        ORDER_PLACED_SUBJECT,
        Buffer.from(
          orderEventsV1.OrderPlaced.encode({
            eventId: slowId,
            orderId: randomUUID(),
            userId: buyer.id,
            totalCents: 1,
            currency: 'USD',
            occurredAt: new Date(),
          }).finish(),
        ),
      ]);
      const fast = await placeOrder(1);
      const [released] = await readEvents(1, head);
      expect(orderIdOf(released!)).toBe(fast);
      await slow.query('COMMIT');
    } finally {
      slow.release();
    }

    const [late] = await readEvents(1, head + 1);

    expect(late!.eventId).toBe(slowId);
    expect(late!.sequence).toBe(head + 2);
    const seqs = (await orders.sql.query('SELECT id, seq::int FROM outbox_events WHERE feed_sequence > $1 ORDER BY feed_sequence', [head]))
      .rows;
    // Released in the order they became visible, not the order of `seq`.
    expect(seqs[0].seq).toBeGreaterThan(seqs[1].seq);
  });

  test('when consumers have read the feed, then outbox_feed_consumer_lag shows how far behind each one is', async () => {
    const head = (await list({})).headSequence;
    await list({ consumer: 'lag-behind', afterSequence: head - 2 });
    await list({ consumer: 'lag-current', afterSequence: head });

    // The relay refreshes the gauge about once a second (a scrape never waits on the database).
    const lagOf = (consumer: string) => readMetric(orders.httpUrl, 'outbox_feed_consumer_lag', { consumer });
    for (let tries = 0; (await lagOf('lag-behind')) !== 2; tries++) {
      if (tries > 200) throw new Error(`lag-behind shows ${await lagOf('lag-behind')}, not 2`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await lagOf('lag-current')).toBe(0);
    // Present as a series of its own, not just absent (which also reads 0).
    expect(await (await fetch(`${orders.httpUrl}/metrics`)).text()).toContain(
      'outbox_feed_consumer_lag{consumer="lag-current",service="orders"} 0',
    );
  });

  test.each([
    [{ consumer: '' }, 'consumer'],
    [{ consumer: 'no spaces allowed' }, 'consumer'],
    [{ consumer: 'x'.repeat(65) }, 'consumer'],
    [{ afterSequence: -1 }, 'afterSequence'],
    [{ limit: 501 }, 'limit'],
    [{ limit: -1 }, 'limit'],
    [{ waitMs: 20_001 }, 'waitMs'],
  ])('when the request is bad (%j), then INVALID_ARGUMENT with BAD_USER_INPUT naming %s', async (request, field) => {
    const error = (await list(request).catch((caught: unknown) => caught)) as ServiceError;

    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.metadata.get('x-error-code')).toEqual(['BAD_USER_INPUT']);
    expect(error.details).toContain(field);
  });
});

/**
 * Retention, through the repository on a migrated database of its own with no relay running,
 * so pending events stay pending and the clock can be moved by editing created_at.
 */
describe('outbox retention', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let prisma: PrismaClient;
  let outbox: OutboxRepository;

  beforeAll(async () => {
    database = await createTestDatabase('orders_retention');
    pool = new pg.Pool({ connectionString: database.url, max: 3 });
    await applyMigrations(pool, ORDERS_MIGRATIONS_DIR, captureLogger('migrations').logger);
    prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    outbox = createOutboxRepository(prisma);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await pool?.end();
    await database?.drop();
  });

  const write = async (count: number) => {
    for (let i = 0; i < count; i++)
      await pool.query(`INSERT INTO outbox_events (id, subject, payload) VALUES ($1, 'orders.v1.placed', '\\x00')`, [randomUUID()]);
  };
  const released = async () =>
    (await pool.query('SELECT feed_sequence::int AS s FROM outbox_events WHERE feed_sequence IS NOT NULL ORDER BY 1')).rows.map(
      (row) => row.s as number,
    );

  test('when events are past the retention, then only those every recent consumer acknowledged go, never the newest nor a pending one', async () => {
    await write(6);
    expect(await outbox.releasePending(100)).toBe(6);
    await write(1); // pending: never released, never deleted
    await outbox.acknowledge('up-to-date', 6);
    await outbox.acknowledge('slowpoke', 2);
    await pool.query(`UPDATE outbox_events SET created_at = created_at - interval '1 hour'`);

    // Retention of one second: events 1-2 are old and acknowledged by everyone; 3-6 wait for slowpoke.
    expect(await outbox.prune(1, 1_000)).toBe(2);
    expect(await released()).toEqual([3, 4, 5, 6]);

    // A consumer silent for longer than the retention stops holding events back, and is forgotten.
    await pool.query(`UPDATE outbox_consumers SET seen_at = now() - interval '1 hour' WHERE name = 'slowpoke'`);
    expect(await outbox.prune(1, 1_000)).toBe(3);
    // The newest released event stays, so the numbering goes on from it.
    expect(await released()).toEqual([6]);
    expect((await pool.query(`SELECT name FROM outbox_consumers`)).rows).toEqual([{ name: 'up-to-date' }]);
    expect((await pool.query('SELECT count(*)::int AS n FROM outbox_events WHERE feed_sequence IS NULL')).rows[0].n).toBe(1);
    expect(await outbox.releasePending(100)).toBe(1);
    expect(await released()).toEqual([6, 7]);
  });

  test('when events are within the retention, then none go, acknowledged or not', async () => {
    await write(3);
    await outbox.releasePending(100);
    const before = await released();
    await outbox.acknowledge('up-to-date', before.at(-1)!);

    // A day's retention: even the events the test before aged by an hour stay.
    expect(await outbox.prune(86_400, 1_000)).toBe(0);
    expect(await released()).toEqual(before);
  });
});
