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
