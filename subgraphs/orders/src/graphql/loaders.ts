import DataLoader from 'dataloader';
import { toConnection, type Connection } from '@fedshop/shared/graphql';
import type { Order, OrderItem, OrderStatus, Product } from '../domain/order';
import { isSku, isUuid } from '../domain/order-input';
import type { OrderRepository } from '../repositories/order-repository';
import type { ProductRepository } from '../repositories/product-repository';

/**
 * Which page of whose orders: what `User.orders` resolves to once its arguments are checked,
 * and the key its connection's fields load by.
 */
export interface UserOrdersKey {
  userId: string;
  limit: number;
  afterId: string | null;
  status: OrderStatus | null;
}

/** Whose orders to count, and of which status (null: all). */
export type UserOrderCountKey = Pick<UserOrdersKey, 'userId' | 'status'>;

const pageKeyOf = (key: UserOrdersKey) => JSON.stringify([key.userId, key.limit, key.afterId, key.status]);
const countKeyOf = (key: UserOrderCountKey) => `${key.status}:${key.userId}`;

/**
 * Values grouped by `keyOf`, each group in input order. Loaders hand rows back to their keys
 * through this, in one pass: scanning all rows once per key is quadratic (the admin fan-out
 * asks for 50 users' pages at once).
 */
function groupBy<K, V>(values: Iterable<V>, keyOf: (value: V) => K): Map<K, V[]> {
  const groups = new Map<K, V[]>();
  for (const value of values) {
    const key = keyOf(value);
    const group = groups.get(key);
    if (group) group.push(value);
    else groups.set(key, [value]);
  }
  return groups;
}

/**
 * One set of DataLoaders per request. Every entity fetch and every per-parent list is
 * batched, so the number of SQL statements of a request does not grow with the number of
 * users, orders or items it returns.
 */
export function createOrdersLoaders(orders: OrderRepository, products: ProductRepository) {
  const productBySku = new DataLoader<string, Product | null>(async (skus) => {
    const found = await products.findBySkus(skus.filter(isSku));
    const bySku = new Map(found.map((product) => [product.sku, product]));
    return skus.map((sku) => bySku.get(sku) ?? null);
  });

  const orderById = new DataLoader<string, Order | null>(async (ids) => {
    const found = await orders.findByIds(ids.filter(isUuid));
    const byId = new Map(found.map((order) => [order.id, order]));
    return ids.map((id) => byId.get(id) ?? null);
  });

  const itemsByOrderId = new DataLoader<string, OrderItem[]>(async (orderIds) => {
    const byOrder = groupBy(await orders.findItemsByOrderIds(orderIds), (item) => item.orderId);
    return orderIds.map((id) => byOrder.get(id) ?? []);
  });

  /**
   * How many orders each user has. One statement per distinct `status` among the keys (one
   * in practice), never one per user. Ids that are not UUIDs count 0 without a query.
   */
  const userOrderCount = new DataLoader<UserOrderCountKey, number, string>(
    async (keys) => {
      const counts = new Map<string, number>();
      await Promise.all(
        [
          ...groupBy(
            keys.filter((key) => isUuid(key.userId)),
            (key) => key.status,
          ),
        ].map(async ([status, group]) => {
          const byUser = await orders.countForUsers([...new Set(group.map((key) => key.userId))], status);
          for (const key of group) counts.set(countKeyOf(key), byUser.get(key.userId) ?? 0);
        }),
      );
      return keys.map((key) => counts.get(countKeyOf(key)) ?? 0);
    },
    { cacheKeyFn: countKeyOf },
  );

  /**
   * Each user's page of orders (edges and pageInfo). Keys with the same page arguments share
   * one windowed statement (one in practice: the gateway asks for all users alike). Ids that
   * are not UUIDs get an empty page without a query. The page's `totalCount` is the count
   * loader's, so a page is fetched only when its edges or pageInfo are selected.
   */
  const userOrdersPage = new DataLoader<UserOrdersKey, Connection<Order>, string>(
    async (keys) => {
      const rowsByKey = new Map<string, Order[]>();
      const byArguments = groupBy(
        keys.filter((key) => isUuid(key.userId)),
        (key) => JSON.stringify([key.limit, key.afterId, key.status]),
      );
      await Promise.all(
        [...byArguments.values()].map(async (group) => {
          const { limit, afterId, status } = group[0]!;
          const rows = await orders.pagesForUsers([...new Set(group.map((key) => key.userId))], { limit, afterId, status });
          const byUser = groupBy(rows, (row) => row.userId);
          for (const key of group) rowsByKey.set(pageKeyOf(key), byUser.get(key.userId) ?? []);
        }),
      );
      return keys.map((key) =>
        toConnection(
          rowsByKey.get(pageKeyOf(key)) ?? [],
          key.limit,
          (order) => order.id,
          () => userOrderCount.load(key),
        ),
      );
    },
    { cacheKeyFn: pageKeyOf },
  );

  return { productBySku, orderById, itemsByOrderId, userOrdersPage, userOrderCount };
}

export type OrdersLoaders = ReturnType<typeof createOrdersLoaders>;
