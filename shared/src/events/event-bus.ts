/**
 * The platform's third way of talking (after GraphQL and gRPC): durable events. With NATS_URL
 * set they travel through JetStream (this interface); without it the consumer reads the
 * producer's outbox as a feed over gRPC (order.v1.OrderService/ListOrderEvents). Both hand
 * their consumer the same `DeliveredEvent`.
 */

/** How events travel: a JetStream broker (NATS_URL set), or the orders outbox read as a feed over gRPC. */
export type EventTransport = 'jetstream' | 'outbox-feed';

/** A stream of subjects, e.g. ORDERS with `orders.v1.>`. */
export interface StreamSpec {
  name: string;
  subjects: string[];
}

export interface DeliveredEvent {
  subject: string;
  data: Uint8Array;
  /** The publisher's message id (the event id). */
  id: string | undefined;
  /** Its position in the stream or feed it arrived on, when known. */
  sequence?: number;
  /** How many times this message was delivered before (0 the first time). */
  redeliveries: number;
  /** W3C trace context of the request that caused the event, when it had one. */
  traceparent: string | undefined;
}

export interface PublishOptions {
  /** W3C trace context to carry along (a `traceparent` message header). */
  traceparent?: string;
}

export interface SubscribeOptions {
  /** Durable consumer name: the broker remembers how far it got, across restarts. */
  durable: string;
  /** One subject pattern (e.g. `orders.v1.>`); one pattern keeps NATS servers before 2.10 supported. */
  subject: string;
  /** Resolving acknowledges the event; rejecting asks for redelivery later. */
  handler: (event: DeliveredEvent) => Promise<void>;
  /**
   * How long a delivered event may go unacknowledged (its consumer crashed, say) before the
   * broker delivers it again, ms (30000).
   */
  ackWaitMs?: number;
}

export interface Subscription {
  /** Events published but not yet acknowledged by this consumer, when the broker knows. */
  pending(): Promise<number>;
  close(): Promise<void>;
}

export interface EventBus {
  readonly kind: 'jetstream';
  /**
   * Resolves once the broker has stored the event; a repeated `id` within the dedup window is
   * dropped. Handlers run inside a consumer span continuing `traceparent`'s trace.
   */
  publish(subject: string, data: Uint8Array, id: string, options?: PublishOptions): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  close(): Promise<void>;
}
