import type { StreamSpec } from './event-bus';

/**
 * The order events contract (messages in proto/order/v1/events.proto): published by the
 * orders service, consumed by others. Both sides create the stream idempotently, so start
 * order does not matter.
 */
export const ORDERS_STREAM: StreamSpec = { name: 'ORDERS', subjects: ['orders.v1.>'] };
export const ORDER_PLACED_SUBJECT = 'orders.v1.placed';
export const ORDER_CANCELLED_SUBJECT = 'orders.v1.cancelled';
export const ORDER_SHIPPED_SUBJECT = 'orders.v1.shipped';
/** A catalog product was created or replaced (ProductChanged): gateways purge what shows it. */
export const PRODUCT_CHANGED_SUBJECT = 'orders.v1.product_changed';
