import { randomUUID } from 'node:crypto';
import { orderEventsV1, type StreamSpec } from '@fedshop/shared';
import type { Order } from '../domain/order';

/** The JetStream stream the orders service publishes to. */
export const ORDERS_STREAM: StreamSpec = { name: 'ORDERS', subjects: ['orders.v1.>'] };
export const ORDER_PLACED_SUBJECT = 'orders.v1.placed';
export const ORDER_CANCELLED_SUBJECT = 'orders.v1.cancelled';

/** An event as the outbox stores it: id, subject and protobuf bytes. */
export interface OutboxEntry {
  id: string;
  subject: string;
  payload: Uint8Array;
}

export function orderPlaced(order: Order, occurredAt = new Date()): OutboxEntry {
  const id = randomUUID();
  const payload = orderEventsV1.OrderPlaced.encode({
    eventId: id,
    orderId: order.id,
    userId: order.userId,
    totalCents: order.totalCents,
    currency: order.currency,
    occurredAt,
  }).finish();
  return { id, subject: ORDER_PLACED_SUBJECT, payload };
}

export function orderCancelled(order: Order, occurredAt = new Date()): OutboxEntry {
  const id = randomUUID();
  const payload = orderEventsV1.OrderCancelled.encode({
    eventId: id,
    orderId: order.id,
    userId: order.userId,
    totalCents: order.totalCents,
    currency: order.currency,
    occurredAt,
  }).finish();
  return { id, subject: ORDER_CANCELLED_SUBJECT, payload };
}
