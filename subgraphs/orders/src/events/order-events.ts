import { randomUUID } from 'node:crypto';
import { ORDER_CANCELLED_SUBJECT, ORDER_PLACED_SUBJECT, orderEventsV1 } from '@fedshop/shared';
import type { Order } from '../domain/order';

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
