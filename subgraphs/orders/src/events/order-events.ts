import { randomUUID } from 'node:crypto';
import {
  ORDER_CANCELLED_SUBJECT,
  ORDER_PLACED_SUBJECT,
  ORDER_SHIPPED_SUBJECT,
  PRODUCT_CHANGED_SUBJECT,
  orderEventsV1,
} from '@fedshop/shared/events';
import { currentTraceparent } from '@fedshop/shared/telemetry';
import type { Order } from '../domain/order';

/** An event as the outbox stores it: id, subject, protobuf bytes and the trace it belongs to. */
export interface OutboxEntry {
  id: string;
  subject: string;
  payload: Uint8Array;
  /** The W3C trace context of the request that caused it (consumers continue that trace). */
  traceparent: string | undefined;
}

/** OrderPlaced, OrderShipped and OrderCancelled carry the same fields; only the message type and subject differ. */
function orderEvent(
  subject: string,
  message: typeof orderEventsV1.OrderPlaced | typeof orderEventsV1.OrderShipped | typeof orderEventsV1.OrderCancelled,
  order: Order,
  occurredAt: Date,
): OutboxEntry {
  const id = randomUUID();
  const payload = message
    .encode({ eventId: id, orderId: order.id, userId: order.userId, totalCents: order.totalCents, currency: order.currency, occurredAt })
    .finish();
  return { id, subject, payload, traceparent: currentTraceparent() };
}

export function orderPlaced(order: Order, occurredAt = new Date()): OutboxEntry {
  return orderEvent(ORDER_PLACED_SUBJECT, orderEventsV1.OrderPlaced, order, occurredAt);
}

export function orderCancelled(order: Order, occurredAt = new Date()): OutboxEntry {
  return orderEvent(ORDER_CANCELLED_SUBJECT, orderEventsV1.OrderCancelled, order, occurredAt);
}

export function orderShipped(order: Order, occurredAt = new Date()): OutboxEntry {
  return orderEvent(ORDER_SHIPPED_SUBJECT, orderEventsV1.OrderShipped, order, occurredAt);
}

/** A product's creation or replacement, written in the same transaction as the product row. */
export function productChanged(sku: string, occurredAt = new Date()): OutboxEntry {
  const id = randomUUID();
  const payload = orderEventsV1.ProductChanged.encode({ eventId: id, sku, occurredAt }).finish();
  return { id, subject: PRODUCT_CHANGED_SUBJECT, payload, traceparent: currentTraceparent() };
}
