import type { OrderStatus } from './order';

/** A status-guarded transition found the order in another status; nothing was written. */
export class OrderStatusError extends Error {
  constructor(readonly status: OrderStatus) {
    super(`order is ${status}`);
  }
}
