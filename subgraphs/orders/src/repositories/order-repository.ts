import { Prisma, type PrismaClient } from '../generated/prisma/client';
import type { Order, OrderItem, OrderStatus, OrderWithItems, Product } from '../domain/order';
import type { PricedOrder } from '../domain/pricing';
import { orderCancelled, orderPlaced, type OutboxEntry } from '../events/order-events';

/** The guarded stock decrement found too little stock for this sku; the transaction rolled back. */
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

/** Interactive transactions wait at most this long for a connection, and may run this long. */
const TRANSACTION_OPTIONS = { maxWait: 5_000, timeout: 10_000 };

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

function isIdempotencyKeyClash(error: unknown): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== 'P2002') return false;
  const target = JSON.stringify(error.meta ?? {});
  return target.includes('idempotency_key') || target.includes('idempotencyKey');
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
     * Places an order in one transaction: returns the order already placed with this
     * idempotency key if there is one; otherwise locks the products in sku order (so
     * concurrent orders never deadlock), prices the items with `price`, inserts the order,
     * decrements stock with a guard and inserts the items. Any failure rolls everything back.
     * Two concurrent requests with one key: the second blocks on the unique index, then
     * returns the first one's order.
     */
    async placeOrder(
      request: PlaceOrderRequest,
      price: (catalog: Product[]) => PricedOrder,
    ): Promise<{ order: OrderWithItems; created: boolean }> {
      const skus = request.items.map((item) => item.sku).sort();
      try {
        return await prisma.$transaction(async (tx) => {
          const existing = await tx.order.findUnique({
            where: { userId_idempotencyKey: { userId: request.userId, idempotencyKey: request.idempotencyKey } },
            select: { ...ORDER_COLUMNS, items: { select: ITEM_COLUMNS, orderBy: { sku: 'asc' } } },
          });
          if (existing) return { order: existing, created: false };
          const catalog = await tx.$queryRaw<Product[]>`
            SELECT sku, name, price_cents AS "priceCents", currency, stock
            FROM products WHERE sku = ANY(${skus}::varchar[]) ORDER BY sku FOR UPDATE`;
          const priced = price(catalog);
          const stockBySku = new Map(catalog.map((product) => [product.sku, product.stock]));
          const short = priced.lines.find((line) => (stockBySku.get(line.sku) ?? 0) < line.quantity);
          if (short) throw new InsufficientStockError(short.sku);
          const order = await tx.order.create({
            data: {
              userId: request.userId,
              idempotencyKey: request.idempotencyKey,
              totalCents: priced.totalCents,
              currency: priced.currency,
            },
            select: ORDER_COLUMNS,
          });
          const lines = [...priced.lines].sort((a, b) => (a.sku < b.sku ? -1 : 1));
          // One statement for all items; the `stock >=` guard (and the CHECK constraint) hold even if the lock above were removed.
          const decremented = await tx.$executeRaw`
            UPDATE products AS p SET stock = p.stock - v.quantity, updated_at = now()
            FROM unnest(${lines.map((l) => l.sku)}::varchar[], ${lines.map((l) => l.quantity)}::int[]) AS v(sku, quantity)
            WHERE p.sku = v.sku AND p.stock >= v.quantity`;
          if (decremented !== lines.length) throw new InsufficientStockError(lines[0]!.sku);
          await tx.orderItem.createMany({ data: lines.map((line) => ({ orderId: order.id, ...line })) });
          // Same transaction: the event exists if and only if the order does.
          await tx.outboxEvent.create({ data: toOutboxRow(orderPlaced(order)) });
          return { order: { ...order, items: lines.map((line) => ({ orderId: order.id, ...line })) }, created: true };
        }, TRANSACTION_OPTIONS);
      } catch (error) {
        // A duplicate that raced the first request either hits the unique index or, having
        // waited for the first one's stock lock, finds the stock it took gone: both answer
        // with the first order.
        if (isIdempotencyKeyClash(error) || error instanceof InsufficientStockError) {
          const first = await findByIdempotencyKey(request.userId, request.idempotencyKey);
          if (first) return { order: first, created: false };
        }
        throw error;
      }
    },

    /**
     * CONFIRMED → CANCELLED and the stock goes back, in one transaction. The status guard
     * makes it happen at most once, however many cancels race. The products are locked in sku
     * order first, as placeOrder locks them: an UPDATE … FROM join locks rows in whatever order
     * its plan scans them, which can deadlock against an order placed at the same moment.
     */
    async cancel(orderId: string): Promise<Order> {
      return prisma.$transaction(async (tx) => {
        const changed = await tx.order.updateMany({ where: { id: orderId, status: 'CONFIRMED' }, data: { status: 'CANCELLED' } });
        const order = await tx.order.findUniqueOrThrow({ where: { id: orderId }, select: ORDER_COLUMNS });
        if (changed.count === 0) throw new OrderStatusError(order.status);
        await tx.outboxEvent.create({ data: toOutboxRow(orderCancelled(order)) });
        await tx.$queryRaw`
          SELECT sku FROM products WHERE sku IN (SELECT sku FROM order_items WHERE order_id = ${orderId}::uuid)
          ORDER BY sku FOR UPDATE`;
        await tx.$executeRaw`
          UPDATE products AS p SET stock = p.stock + i.quantity, updated_at = now()
          FROM order_items AS i WHERE i.order_id = ${orderId}::uuid AND p.sku = i.sku`;
        return order;
      }, TRANSACTION_OPTIONS);
    },

    /** CONFIRMED → SHIPPED. */
    async ship(orderId: string): Promise<Order> {
      const changed = await prisma.order.updateManyAndReturn({
        where: { id: orderId, status: 'CONFIRMED' },
        data: { status: 'SHIPPED' },
        select: ORDER_COLUMNS,
      });
      if (changed[0]) return changed[0];
      const order = await prisma.order.findUniqueOrThrow({ where: { id: orderId }, select: ORDER_COLUMNS });
      throw new OrderStatusError(order.status);
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
