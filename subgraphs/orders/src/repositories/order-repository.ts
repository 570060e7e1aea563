import { newTimeOrderedUuid } from '@fedshop/shared/domain';
import { serviceUnavailable } from '@fedshop/shared/errors';
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import type { Order, OrderItem, OrderStatus, OrderWithItems, Product } from '../domain/order';
import type { PricedOrder } from '../domain/pricing';
import { orderCancelled, orderPlaced, orderShipped, type OutboxEntry } from '../events/order-events';

/** The stock check found too little stock for this sku; nothing was written. */
export class InsufficientStockError extends Error {
  constructor(readonly sku: string) {
    super(`insufficient stock for ${sku}`);
  }
}

/** A status-guarded transition found the order in another status. */
export class OrderStatusError extends Error {
  constructor(readonly status: OrderStatus) {
    super(`order is ${status}`);
  }
}

const ORDER_COLUMNS = { id: true, userId: true, status: true, totalCents: true, currency: true, createdAt: true } as const;
const ITEM_COLUMNS = { orderId: true, sku: true, quantity: true, unitPriceCents: true } as const;

const PRODUCT_COLUMNS = { sku: true, name: true, priceCents: true, currency: true, stock: true } as const;
/** A price changing between reading the catalog and placing the order is retried this often. */
const MAX_PRICING_ATTEMPTS = 3;

export interface PlaceOrderRequest {
  userId: string;
  idempotencyKey: string;
  items: { sku: string; quantity: number }[];
}

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
  async function findByIdempotencyKey(userId: string, idempotencyKey: string): Promise<OrderWithItems | null> {
    return prisma.order.findUnique({
      where: { userId_idempotencyKey: { userId, idempotencyKey } },
      select: { ...ORDER_COLUMNS, items: { select: ITEM_COLUMNS, orderBy: { sku: 'asc' } } },
    });
  }

  return {
    /**
     * Places an order, or returns the one already placed with this idempotency key.
     *
     * The catalog is read without locks and priced by `price`; then ONE statement locks the
     * products in sku order, checks stock (and that the prices just read still hold), and only
     * if every line passes inserts the order, takes the stock, inserts the items and the
     * outbox event. A single statement is atomic, and it holds the product rows' locks only
     * while PostgreSQL runs it: an interactive transaction would hold them across round trips
     * to this process, so a burst of orders for one product would queue on the event loop
     * with the lock held, and the requests behind them would time out waiting for a connection.
     * Two concurrent requests with one key: the second waits on the unique index, inserts
     * nothing, and returns the first one's order.
     */
    async placeOrder(
      request: PlaceOrderRequest,
      price: (catalog: Product[]) => PricedOrder,
    ): Promise<{ order: OrderWithItems; created: boolean }> {
      const existing = await findByIdempotencyKey(request.userId, request.idempotencyKey);
      if (existing) return { order: existing, created: false };
      const skus = request.items.map((item) => item.sku).sort();
      for (let attempt = 1; ; attempt++) {
        const catalog = await prisma.product.findMany({ where: { sku: { in: skus } }, select: PRODUCT_COLUMNS });
        const priced = price(catalog);
        const createdAt = new Date();
        const order: Order = {
          id: newTimeOrderedUuid(createdAt.getTime()),
          userId: request.userId,
          status: 'CONFIRMED',
          totalCents: priced.totalCents,
          currency: priced.currency,
          createdAt,
        };
        const lines = [...priced.lines].sort((a, b) => (a.sku < b.sku ? -1 : 1));
        const event = toOutboxRow(orderPlaced(order, createdAt));
        const [outcome] = await prisma.$queryRaw<{ placed: boolean; shortSku: string | null; repriced: boolean }[]>`
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
            SELECT ${order.id}::uuid, ${order.userId}::uuid, ${request.idempotencyKey}, ${order.totalCents}, ${order.currency},
                   ${createdAt}::timestamptz, ${createdAt}::timestamptz
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
          SELECT EXISTS (SELECT 1 FROM new_order) AS placed, short_sku AS "shortSku", coalesce(repriced, false) AS repriced
          FROM verdict`;
        if (outcome!.placed) {
          return { order: { ...order, items: lines.map((line) => ({ orderId: order.id, ...line })) }, created: true };
        }
        // Nothing was written. A request with the same key got there first (its order
        // answers, even if it took the last of the stock), or stock or prices did not hold.
        const first = await findByIdempotencyKey(request.userId, request.idempotencyKey);
        if (first) return { order: first, created: false };
        if (outcome!.shortSku) throw new InsufficientStockError(outcome!.shortSku);
        if (attempt === MAX_PRICING_ATTEMPTS) {
          throw serviceUnavailable('The catalog changed while the order was being placed; nothing was written, try again.');
        }
      }
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
