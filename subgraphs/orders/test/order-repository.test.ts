import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { AppError } from '@fedshop/shared/errors';
import { ORDER_PLACED_SUBJECT, orderEventsV1 } from '@fedshop/shared/events';
import { priceOrder, type PricedOrder } from '../src/domain/pricing';
import type { Product } from '../src/domain/order';
import { PrismaClient } from '../src/generated/prisma/client';
import { createOrderRepository, type OrderRepository } from '../src/repositories/order-repository';
import { startOrdersUnderTest, uniqueSku, type OrdersUnderTest } from './support/orders-under-test';

/**
 * The repository's single-statement order placement against the real database, where the
 * API cannot reach: a price changing between reading the catalog and placing the order.
 */
describe('order repository: placing an order while the catalog changes', () => {
  let orders: OrdersUnderTest;
  let pool: pg.Pool;
  let prisma: PrismaClient;
  let repository: OrderRepository;

  beforeAll(async () => {
    // The service migrates the fresh database; this test then talks to it directly.
    orders = await startOrdersUnderTest();
    pool = new pg.Pool({ connectionString: orders.database.url, max: 4, application_name: 'order-repository-test' });
    prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    repository = createOrderRepository(prisma);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await pool?.end();
    await orders?.stop();
  });

  const placedEventsFor = async (orderId: string) => {
    const { rows } = await orders.sql.query<{ payload: Buffer }>(`SELECT payload FROM outbox_events WHERE subject = $1`, [
      ORDER_PLACED_SUBJECT,
    ]);
    return rows.filter((row) => orderEventsV1.OrderPlaced.decode(row.payload).orderId === orderId).length;
  };

  /** Resolves once a statement of this test's pool is waiting for a row lock. */
  async function untilWaitingOnLock(): Promise<void> {
    for (let tries = 0; tries < 500; tries++) {
      const { rows } = await orders.sql.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'order-repository-test' AND wait_event_type = 'Lock'`,
      );
      if (rows[0].n > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('placeOrder never waited on the product lock');
  }

  test('when an admin changes the price while the order waits for the product, then the order is placed once, at the new price', async () => {
    const sku = uniqueSku('REPRICE');
    await orders.upsertProduct({ sku, priceCents: 500, stock: 10 });
    const userId = randomUUID();
    const admin = await orders.sql.connect();
    let placing: ReturnType<OrderRepository['placeOrder']> | undefined;
    try {
      await admin.query('BEGIN');
      await admin.query('SELECT 1 FROM products WHERE sku = $1 FOR UPDATE', [sku]);
      const items = [{ sku, quantity: 2 }];
      placing = repository.placeOrder({ userId, idempotencyKey: 'reprice-race', items }, (catalog) => priceOrder(items, catalog));
      // The catalog was read at 500 and the placing statement now waits for the row.
      await untilWaitingOnLock();
      await admin.query('UPDATE products SET price_cents = 800 WHERE sku = $1', [sku]);
      await admin.query('COMMIT');
    } finally {
      admin.release();
    }
    const { order, created } = await placing!;

    expect(created).toBe(true);
    expect(order.totalCents).toBe(1600);
    expect(order.items).toEqual([{ orderId: order.id, sku, quantity: 2, unitPriceCents: 800 }]);
    expect(order.id[14]).toBe('7');
    const stored = await orders.sql.query(
      `SELECT o.total_cents, o.created_at, i.unit_price_cents, i.quantity FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.user_id = $1`,
      [userId],
    );
    expect(stored.rows).toEqual([{ total_cents: 1600, created_at: order.createdAt, unit_price_cents: 800, quantity: 2 }]);
    expect(await orders.stockOf(sku)).toBe(8);
    expect(await placedEventsFor(order.id)).toBe(1);
  });

  test('when the price changes on every attempt, then SERVICE_UNAVAILABLE, retryable, and nothing is written', async () => {
    const sku = uniqueSku('DRIFT');
    await orders.upsertProduct({ sku, priceCents: 500, stock: 10 });
    const before = await orders.snapshot();
    const items = [{ sku, quantity: 1 }];
    let pricings = 0;
    // A catalog that never holds still: every price read is already stale when it is used.
    const stalePrice = (catalog: Product[]): PricedOrder => {
      pricings += 1;
      const priced = priceOrder(items, catalog);
      return { ...priced, lines: priced.lines.map((line) => ({ ...line, unitPriceCents: line.unitPriceCents - 1 })) };
    };

    const failure = await repository
      .placeOrder({ userId: randomUUID(), idempotencyKey: 'drift', items }, stalePrice)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(pricings).toBe(3);
    expect(await orders.snapshot()).toEqual(before);
  });

  test('when the product is restocked while the order waits for it, then the order takes the new stock', async () => {
    const sku = uniqueSku('RESTOCK');
    await orders.upsertProduct({ sku, stock: 0 });
    const items = [{ sku, quantity: 2 }];
    const admin = await orders.sql.connect();
    let placing: ReturnType<OrderRepository['placeOrder']> | undefined;
    try {
      await admin.query('BEGIN');
      // A restock in flight (as a cancelled order's stock coming back): the order's statement
      // starts while the committed stock is 0, and waits for this row.
      await admin.query('UPDATE products SET stock = stock + 2 WHERE sku = $1', [sku]);
      placing = repository.placeOrder({ userId: randomUUID(), idempotencyKey: 'restock-race', items }, (catalog) =>
        priceOrder(items, catalog),
      );
      await untilWaitingOnLock();
      await admin.query('COMMIT');
    } finally {
      admin.release();
    }

    const { order, created } = await placing!;
    expect(created).toBe(true);
    expect(order.items).toEqual([{ orderId: order.id, sku, quantity: 2, unitPriceCents: 1000 }]);
    expect(await orders.stockOf(sku)).toBe(0);
    expect(await placedEventsFor(order.id)).toBe(1);
  });

  test('when stock runs short while the order waits for the product, then nothing is written and the short sku is named', async () => {
    const [plenty, scarce] = [uniqueSku('PLENTY'), uniqueSku('SCARCE')];
    await orders.upsertProduct({ sku: plenty, stock: 10 });
    await orders.upsertProduct({ sku: scarce, stock: 3 });
    const before = await orders.snapshot();
    const items = [
      { sku: plenty, quantity: 1 },
      { sku: scarce, quantity: 3 },
    ];
    const admin = await orders.sql.connect();
    let placing: Promise<unknown> | undefined;
    try {
      await admin.query('BEGIN');
      await admin.query('SELECT 1 FROM products WHERE sku = $1 FOR UPDATE', [scarce]);
      placing = repository
        .placeOrder({ userId: randomUUID(), idempotencyKey: 'short-race', items }, (catalog) => priceOrder(items, catalog))
        .catch((error: unknown) => error);
      await untilWaitingOnLock();
      await admin.query('UPDATE products SET stock = 2 WHERE sku = $1', [scarce]);
      await admin.query('COMMIT');
    } finally {
      admin.release();
    }

    expect(await placing).toMatchObject({ name: 'Error', sku: scarce });
    expect(await orders.snapshot()).toEqual({ ...before, stock: { ...before.stock, [scarce]: 2 } });
  });
});
