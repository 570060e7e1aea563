import { ORDER_CANCELLED_SUBJECT, ORDER_PLACED_SUBJECT, ORDER_SHIPPED_SUBJECT, orderEventsV1 } from '@fedshop/shared/events';
import { createAsyncEventQueue, type AsyncEventQueue, type LiveFeed } from '@fedshop/shared/live-events';
import type { Logger } from 'pino';
import type { Order, OrderStatus } from '../domain/order';

/** The live feed's subject: every orders replica hears every status change (README, Subscriptions). */
export const ORDER_STATUS_SUBJECT = 'fedshop.live.orders.v1.status';

/** One committed status change, as the orders replicas tell each other. */
export interface OrderStatusMessage {
  eventId: string;
  orderId: string;
  userId: string;
  status: OrderStatus;
  /** The W3C trace context of the write (from the outbox row). */
  traceparent?: string;
}

/**
 * A status change as a watch receives it: the message, and the order it concerns, read once
 * per replica however many subscriptions watch it (5000 subscribers of one account cost one
 * read per change, not 5000).
 */
export interface OrderStatusChange extends OrderStatusMessage {
  order(): Promise<Order | null>;
}

/** An outbox event as the relay hands it over after its transaction committed. */
export interface CommittedOutboxEvent {
  id: string;
  subject: string;
  payload: Uint8Array;
  traceparent: string | null;
}

const STATUS_BY_SUBJECT: Record<string, { status: OrderStatus; message: typeof orderEventsV1.OrderPlaced }> = {
  [ORDER_PLACED_SUBJECT]: { status: 'CONFIRMED', message: orderEventsV1.OrderPlaced },
  [ORDER_SHIPPED_SUBJECT]: { status: 'SHIPPED', message: orderEventsV1.OrderShipped },
  [ORDER_CANCELLED_SUBJECT]: { status: 'CANCELLED', message: orderEventsV1.OrderCancelled },
};

/**
 * Where an order's status stands in its one-way life: placed, then shipped or cancelled. A
 * subscriber is only ever given a higher rank than it was last given for that order, so a
 * republished or late event (the relay publishes at least once) is never delivered twice nor
 * out of commit order.
 */
const RANK: Record<OrderStatus, number> = { CONFIRMED: 1, SHIPPED: 2, CANCELLED: 2 };

/** Orders a watch over a whole account remembers ranks for; the oldest are forgotten first. */
const REMEMBERED_ORDERS = 1_000;

export type OrderStatusWatch = { orderId: string } | { userId: string };

export interface OrderStatusFeed {
  /** Tells every replica about the status changes among events the relay just published. */
  publishCommitted(events: CommittedOutboxEvent[]): void;
  /** Status changes of one order, or of one account's orders, from now on; bounded (overflow ends it). */
  watch(filter: OrderStatusWatch): AsyncEventQueue<OrderStatusChange>;
  /** Watches open on this replica. */
  size(): number;
  close(): Promise<void>;
}

/** Reads a committed outbox event as a status change; null for other subjects or undecodable payloads. */
export function orderStatusMessageOf(event: CommittedOutboxEvent): OrderStatusMessage | null {
  const known = STATUS_BY_SUBJECT[event.subject];
  if (!known) return null;
  try {
    const decoded = known.message.decode(event.payload);
    return {
      eventId: event.id,
      orderId: decoded.orderId,
      userId: decoded.userId,
      status: known.status,
      ...(event.traceparent ? { traceparent: event.traceparent } : {}),
    };
  } catch {
    return null;
  }
}

/**
 * The orders subgraph's side of subscriptions: status changes come in from the live feed
 * (every replica's relay publishes to it after commit), and go out to the watches of this
 * replica whose order or account they concern, each watch a bounded queue of its own.
 */
export function createOrderStatusFeed(options: {
  live: LiveFeed<OrderStatusMessage>;
  /** Reads the order a change concerns (once per change and replica). */
  loadOrder: (orderId: string) => Promise<Order | null>;
  logger: Logger;
  capacity: number;
}): OrderStatusFeed {
  const byOrder = new Map<string, Set<(change: OrderStatusChange) => void>>();
  const byUser = new Map<string, Set<(change: OrderStatusChange) => void>>();
  let watches = 0;
  const stopListening = options.live.listen((message) => {
    const forOrder = byOrder.get(message.orderId);
    const forUser = byUser.get(message.userId);
    if (!forOrder && !forUser) return;
    let loaded: Promise<Order | null> | undefined;
    const change: OrderStatusChange = { ...message, order: () => (loaded ??= options.loadOrder(message.orderId)) };
    for (const deliver of forOrder ?? []) deliver(change);
    for (const deliver of forUser ?? []) deliver(change);
  });
  const register = (
    index: Map<string, Set<(change: OrderStatusChange) => void>>,
    key: string,
    deliver: (change: OrderStatusChange) => void,
  ) => {
    let listeners = index.get(key);
    if (!listeners) index.set(key, (listeners = new Set()));
    listeners.add(deliver);
    return () => {
      listeners.delete(deliver);
      if (listeners.size === 0) index.delete(key);
    };
  };
  return {
    publishCommitted(events) {
      for (const event of events) {
        const message = orderStatusMessageOf(event);
        if (message) options.live.publish(message);
      }
    },
    watch(filter) {
      const ranks = new Map<string, number>();
      let unregister = () => {};
      const queue = createAsyncEventQueue<OrderStatusChange>({
        capacity: options.capacity,
        onReturn: () => {
          watches--;
          unregister();
        },
      });
      const deliver = (message: OrderStatusChange) => {
        const rank = RANK[message.status];
        if (rank <= (ranks.get(message.orderId) ?? 0)) return;
        ranks.delete(message.orderId);
        ranks.set(message.orderId, rank);
        if (ranks.size > REMEMBERED_ORDERS) ranks.delete(ranks.keys().next().value!);
        queue.push(message);
      };
      watches++;
      unregister = 'orderId' in filter ? register(byOrder, filter.orderId, deliver) : register(byUser, filter.userId, deliver);
      return queue;
    },
    size: () => watches,
    async close() {
      stopListening();
      await options.live.close();
    },
  };
}
