import { newTimeOrderedUuid } from '@fedshop/shared/domain';

export type OrderStatus = 'CONFIRMED' | 'SHIPPED' | 'CANCELLED';

export interface Product {
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  stock: number;
}

export interface OrderItem {
  orderId: string;
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  totalCents: number;
  currency: string;
  createdAt: Date;
}

/** An order with its items, as placeOrder returns it. */
export interface OrderWithItems extends Order {
  items: OrderItem[];
}

/**
 * A new order as priced, before it is written: its id is time-ordered (UUIDv7, so ids sort
 * by placement) and its lines are in sku order, the order in which stock rows are locked.
 */
export function draftOrder(
  userId: string,
  priced: { lines: Omit<OrderItem, 'orderId'>[]; totalCents: number; currency: string },
  createdAt: Date,
): OrderWithItems {
  const id = newTimeOrderedUuid(createdAt.getTime());
  const lines = [...priced.lines].sort((a, b) => (a.sku < b.sku ? -1 : 1));
  return {
    id,
    userId,
    status: 'CONFIRMED',
    totalCents: priced.totalCents,
    currency: priced.currency,
    createdAt,
    items: lines.map((line) => ({ orderId: id, ...line })),
  };
}
