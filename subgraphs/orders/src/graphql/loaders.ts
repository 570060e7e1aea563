import DataLoader from 'dataloader';
import type { Order, OrderItem, OrderStatus, Product } from '../domain/order';
import { isSku, isUuid } from '../domain/order-input';
import type { OrderRepository } from '../repositories/order-repository';
import type { ProductRepository } from '../repositories/product-repository';

export interface UserOrdersKey {
  userId: string;
  limit: number;
  afterId: string | null;
  status: OrderStatus | null;
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
    const items = await orders.findItemsByOrderIds(orderIds);
    return orderIds.map((id) => items.filter((item) => item.orderId === id));
  });

  /** Keys with the same page arguments share one windowed query. */
  const userOrdersPage = new DataLoader<UserOrdersKey, Order[], string>(
    async (keys) => {
      const groups = new Map<string, UserOrdersKey[]>();
      for (const key of keys) {
        const group = JSON.stringify([key.limit, key.afterId, key.status]);
        groups.set(group, [...(groups.get(group) ?? []), key]);
      }
      const pages = new Map<string, Order[]>();
      await Promise.all(
        [...groups.values()].map(async (group) => {
          const { limit, afterId, status } = group[0]!;
          const rows = await orders.pagesForUsers([...new Set(group.map((k) => k.userId))], { limit, afterId, status });
          for (const key of group) pages.set(JSON.stringify(key), rows.filter((row) => row.userId === key.userId));
        }),
      );
      return keys.map((key) => pages.get(JSON.stringify(key)) ?? []);
    },
    { cacheKeyFn: (key) => JSON.stringify(key) },
  );

  const userOrderCount = new DataLoader<{ userId: string; status: OrderStatus | null }, number, string>(
    async (keys) => {
      const byStatus = new Map<string, string[]>();
      for (const key of keys) byStatus.set(String(key.status), [...(byStatus.get(String(key.status)) ?? []), key.userId]);
      const counts = new Map<string, number>();
      await Promise.all(
        [...byStatus.entries()].map(async ([status, userIds]) => {
          const result = await orders.countForUsers(userIds, status === 'null' ? null : (status as OrderStatus));
          for (const userId of userIds) counts.set(`${status}:${userId}`, result.get(userId) ?? 0);
        }),
      );
      return keys.map((key) => counts.get(`${key.status}:${key.userId}`) ?? 0);
    },
    { cacheKeyFn: (key) => `${key.status}:${key.userId}` },
  );

  return { productBySku, orderById, itemsByOrderId, userOrdersPage, userOrderCount };
}

export type OrdersLoaders = ReturnType<typeof createOrdersLoaders>;
