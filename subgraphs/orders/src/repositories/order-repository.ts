import { Prisma, type PrismaClient } from '../generated/prisma/client';
import type { Order, OrderItem, OrderStatus, OrderWithItems } from '../domain/order';
import { OrderStatusError } from '../domain/order-errors';
import { orderCancelled, orderPlaced, orderShipped, type OutboxEntry } from '../events/order-events';

const ORDER_COLUMNS = { id: true, userId: true, status: true, totalCents: true, currency: true, createdAt: true } as const;
const ITEM_COLUMNS = { orderId: true, sku: true, quantity: true, unitPriceCents: true } as const;

/** What placing an order did: wrote it, or nothing (a sku short of stock, or a price that moved). */
export type PlacementOutcome = { placed: true } | { placed: false; shortSku: string | null };

export interface OrderPage {
  userId: string;
  limit: number;
  afterId: string | null;
  status: OrderStatus | null;
}

function toOutboxRow(entry: OutboxEntry) {
  return { id: entry.id, subject: entry.subject, payload: Buffer.from(entry.payload), traceparent: entry.traceparent ?? null };
}

/** Data access for orders. The only module of the orders service that writes orders and stock. */
export function createOrderRepository(prisma: PrismaClient) {
  return {
    /** The order this account already placed with this idempotency key, if any. */
    findByIdempotencyKey(userId: string, idempotencyKey: string): Promise<OrderWithItems | null> {
      return prisma.order.findUnique({
        where: { userId_idempotencyKey: { userId, idempotencyKey } },
        select: { ...ORDER_COLUMNS, items: { select: ITEM_COLUMNS, orderBy: { sku: 'asc' } } },
      });
    },

    /**
     * Writes the priced order, takes its stock and records its event, or writes nothing.
     *
     * ONE statement locks the products in sku order, checks stock (and that the prices the
     * order was priced with still hold), and only if every line passes inserts the order,
     * takes the stock, inserts the items and the outbox event. A single statement is atomic,
     * and it holds the product rows' locks only while PostgreSQL runs it: an interactive
     * transaction would hold them across round trips to this process, so a burst of orders
     * for one product would queue on the event loop with the lock held, and the requests
     * behind them would time out waiting for a connection. Two concurrent requests with one
     * key: the second waits on the unique index and inserts nothing.
     */
    async placeIfStockAndPricesHold(order: OrderWithItems, idempotencyKey: string): Promise<PlacementOutcome> {
      const lines = order.items;
      const skus = lines.map((line) => line.sku);
      const event = toOutboxRow(orderPlaced(order, order.createdAt));
      const [outcome] = await prisma.$queryRaw<{ placed: boolean; shortSku: string | null }[]>`
      WITH line AS (
        SELECT * FROM unnest(${lines.map((l) => l.sku)}::varchar[], ${lines.map((l) => l.quantity)}::int[],
                             ${lines.map((l) => l.unitPriceCents)}::int[]) AS l(sku, quantity, unit_price_cents)
      ),
      locked AS (
        SELECT sku, stock, price_cents, currency FROM products
        WHERE sku = ANY(${skus}::varchar[]) ORDER BY sku FOR UPDATE
      ),
      verdict AS (
        SELECT min(l.sku) FILTER (WHERE k.sku IS NULL OR k.stock < l.quantity) AS short_sku,
               bool_or(k.price_cents <> l.unit_price_cents OR k.currency <> ${order.currency}) AS repriced
        FROM line AS l LEFT JOIN locked AS k ON k.sku = l.sku
      ),
      new_order AS (
        INSERT INTO orders (id, user_id, idempotency_key, total_cents, currency, created_at, updated_at)
        SELECT ${order.id}::uuid, ${order.userId}::uuid, ${idempotencyKey}, ${order.totalCents}, ${order.currency},
               ${order.createdAt}::timestamptz, ${order.createdAt}::timestamptz
        FROM verdict WHERE short_sku IS NULL AND repriced IS NOT TRUE
        ON CONFLICT (user_id, idempotency_key) DO NOTHING
        RETURNING id
      ),
      taken AS (
        -- Only rows locked above, so locks are only ever taken in sku order. The new stock
        -- comes from the locked row (current, and ours until commit), not from p: p is the
        -- version this statement's snapshot saw, and PostgreSQL checks the CHECK (stock >= 0)
        -- on the row computed from it before noticing the row moved on. After a concurrent
        -- restock, p.stock - quantity could be negative though the current stock suffices.
        UPDATE products AS p SET stock = k.stock - l.quantity, updated_at = now()
        FROM locked AS k JOIN line AS l ON l.sku = k.sku
        WHERE p.sku = k.sku AND EXISTS (SELECT 1 FROM new_order)
      ),
      items AS (
        INSERT INTO order_items (order_id, sku, quantity, unit_price_cents)
        SELECT n.id, l.sku, l.quantity, l.unit_price_cents FROM new_order AS n CROSS JOIN line AS l
      ),
      event AS (
        INSERT INTO outbox_events (id, subject, payload, traceparent)
        SELECT ${event.id}::uuid, ${event.subject}, ${event.payload}, ${event.traceparent} FROM new_order
      )
      SELECT EXISTS (SELECT 1 FROM new_order) AS placed, short_sku AS "shortSku"
      FROM verdict`;
      return outcome!.placed ? { placed: true } : { placed: false, shortSku: outcome!.shortSku };
    },

    /**
     * CONFIRMED → CANCELLED and the stock goes back, in ONE statement (atomic, and no lock
     * held across round trips, as for placeOrder). The status guard makes it happen at most
     * once, however many cancels race. The products are locked in sku order first, as
     * placeOrder locks them: an UPDATE … FROM join locks rows in whatever order its plan
     * scans them, which could deadlock against an order placed at the same moment. The event
     * is built from the order as read before: the fields it carries never change.
     */
    async cancel(orderId: string): Promise<Order> {
      const before = await prisma.order.findUniqueOrThrow({ where: { id: orderId }, select: ORDER_COLUMNS });
      const event = toOutboxRow(orderCancelled(before));
      const [outcome] = await prisma.$queryRaw<{ cancelled: boolean }[]>`
        WITH cancelled AS (
          UPDATE orders SET status = 'CANCELLED', updated_at = now()
          WHERE id = ${orderId}::uuid AND status = 'CONFIRMED'
          RETURNING id
        ),
        locked AS (
          SELECT p.sku, i.quantity FROM products AS p JOIN order_items AS i ON i.sku = p.sku
          WHERE i.order_id = (SELECT id FROM cancelled)
          ORDER BY p.sku FOR UPDATE OF p
        ),
        restored AS (
          UPDATE products AS p SET stock = p.stock + k.quantity, updated_at = now()
          FROM locked AS k WHERE p.sku = k.sku
        ),
        event AS (
          INSERT INTO outbox_events (id, subject, payload, traceparent)
          SELECT ${event.id}::uuid, ${event.subject}, ${event.payload}, ${event.traceparent} FROM cancelled
        )
        SELECT EXISTS (SELECT 1 FROM cancelled) AS cancelled`;
      if (outcome!.cancelled) return { ...before, status: 'CANCELLED' };
      // Read again: the status that stopped us was set after `before` was read.
      const current = await prisma.order.findUniqueOrThrow({ where: { id: orderId }, select: ORDER_COLUMNS });
      throw new OrderStatusError(current.status);
    },

    /**
     * CONFIRMED → SHIPPED and its OrderShipped event, in ONE statement (atomic: the event
     * exists exactly when the change does, so live order status sees every shipping). The
     * status guard makes it happen at most once; the event is built from the order as read
     * before, whose fields (owner, total) never change.
     */
    async ship(orderId: string): Promise<Order> {
      const before = await prisma.order.findUniqueOrThrow({ where: { id: orderId }, select: ORDER_COLUMNS });
      const event = toOutboxRow(orderShipped(before));
      const [outcome] = await prisma.$queryRaw<{ shipped: boolean }[]>`
        WITH shipped AS (
          UPDATE orders SET status = 'SHIPPED', updated_at = now()
          WHERE id = ${orderId}::uuid AND status = 'CONFIRMED'
          RETURNING id
        ),
        event AS (
          INSERT INTO outbox_events (id, subject, payload, traceparent)
          SELECT ${event.id}::uuid, ${event.subject}, ${event.payload}, ${event.traceparent} FROM shipped
        )
        SELECT EXISTS (SELECT 1 FROM shipped) AS shipped`;
      if (outcome!.shipped) return { ...before, status: 'SHIPPED' };
      // Read again: the status that stopped us was set after `before` was read.
      const current = await prisma.order.findUniqueOrThrow({ where: { id: orderId }, select: ORDER_COLUMNS });
      throw new OrderStatusError(current.status);
    },

    findById(id: string): Promise<Order | null> {
      return prisma.order.findUnique({ where: { id }, select: ORDER_COLUMNS });
    },

    findByIds(ids: readonly string[]): Promise<Order[]> {
      if (ids.length === 0) return Promise.resolve([]);
      return prisma.order.findMany({ where: { id: { in: [...ids] } }, select: ORDER_COLUMNS });
    },

    findItemsByOrderIds(orderIds: readonly string[]): Promise<OrderItem[]> {
      if (orderIds.length === 0) return Promise.resolve([]);
      return prisma.orderItem.findMany({ where: { orderId: { in: [...orderIds] } }, select: ITEM_COLUMNS, orderBy: { sku: 'asc' } });
    },

    /**
     * One page of orders (newest first, `limit + 1` rows) for each of many users, in ONE
     * statement: a window function numbers each user's orders, so the cost does not grow
     * with the number of users asked about.
     */
    async pagesForUsers(userIds: readonly string[], page: Omit<OrderPage, 'userId'>): Promise<Order[]> {
      if (userIds.length === 0) return [];
      const status = page.status ? Prisma.sql`AND status = ${page.status}::"OrderStatus"` : Prisma.empty;
      const after = page.afterId ? Prisma.sql`AND id < ${page.afterId}::uuid` : Prisma.empty;
      return prisma.$queryRaw<Order[]>`
        SELECT id, "userId", status, "totalCents", currency, "createdAt" FROM (
          SELECT id, user_id AS "userId", status::text AS status, total_cents AS "totalCents", currency,
                 created_at AS "createdAt",
                 row_number() OVER (PARTITION BY user_id ORDER BY id DESC) AS position
          FROM orders
          WHERE user_id = ANY(${[...userIds]}::uuid[]) ${status} ${after}
        ) AS numbered
        WHERE position <= ${page.limit + 1}
        ORDER BY "userId", id DESC`;
    },

    /** Order counts per user (optionally of one status), in one statement. */
    async countForUsers(userIds: readonly string[], status: OrderStatus | null): Promise<Map<string, number>> {
      if (userIds.length === 0) return new Map();
      const groups = await prisma.order.groupBy({
        by: ['userId'],
        where: { userId: { in: [...userIds] }, ...(status ? { status } : {}) },
        _count: { _all: true },
      });
      return new Map(groups.map((group) => [group.userId, group._count._all]));
    },

    async countOpen(userId: string): Promise<number> {
      return prisma.order.count({ where: { userId, status: 'CONFIRMED' } });
    },
  };
}

export type OrderRepository = ReturnType<typeof createOrderRepository>;
