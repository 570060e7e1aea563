import type { DeliveredEvent, EventBus, EventTransport, Subscription } from '@fedshop/shared/events';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { OrderServiceClient } from '../clients/order-service-client';
import type { FeedStep } from '../repositories/event-feed-cursor-repository';
import { applyOrderEvent, type OrderEventDependencies } from '../use-cases/apply-order-event';
import { startOrderFeedConsumer } from './order-feed-consumer';

export interface OrderEventsConsumerOptions extends OrderEventDependencies {
  /** JetStream when NATS_URL is set; without it, the orders outbox is read as a feed over gRPC. */
  bus: EventBus | undefined;
  /** Where the feed is read from (the orders service's gRPC client). */
  orders: Pick<OrderServiceClient, 'listOrderEvents'>;
  /** The consumer's name (EVENTS_CONSUMER): JetStream's durable consumer, or the feed cursor's. */
  consumer: string;
  /** JetStream only: how long a delivered event may go unacknowledged before it is delivered again, ms. */
  ackWaitMs?: number;
  registry: Registry;
}

/** How often `events_parked` is counted again from the table, ms. */
const PARKED_REFRESH_MS = 15_000;

export interface OrderEventsConsumer {
  transport: EventTransport;
  close(): Promise<void>;
}

/**
 * Consumes order events into loyalty (lifetime spend, tier), through JetStream or the orders
 * outbox feed; the same use case applies them either way and the same metrics describe them.
 * JetStream acknowledges an event only after its transaction committed (the bus acks when the
 * handler resolves); the feed moves its cursor inside that transaction. Either way a crash
 * means redelivery, and processed event ids make a redelivery change nothing.
 */
export async function startOrderEventsConsumer(options: OrderEventsConsumerOptions): Promise<OrderEventsConsumer> {
  const { logger, registry } = options;
  const transport: EventTransport = options.bus ? 'jetstream' : 'outbox-feed';
  const consumed = new Counter({
    name: 'events_consumed_total',
    help: 'Order events consumed, by result (applied / duplicate / ignored / parked).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const redeliveries = new Counter({
    name: 'events_redeliveries_total',
    help: 'Order events delivered again after a failure or a restart.',
    registers: [registry],
  });
  new Gauge({
    name: 'events_transport',
    help: 'How order events arrive: 1 for the transport in use (jetstream, or outbox-feed over gRPC when NATS_URL is unset).',
    labelNames: ['transport'] as const,
    registers: [registry],
  }).set({ transport }, 1);
  const parkedGauge = new Gauge({
    name: 'events_parked',
    help: 'Order events parked because they could not be applied (rows in parked_events, kept with their payload).',
    registers: [registry],
  });
  // Counted from the table (all replicas' parks, and rows someone replayed and deleted), in the
  // background: a scrape must never wait on the database.
  const countParked = () =>
    options.parked.count().then(
      (count) => parkedGauge.set(count),
      () => undefined,
    );
  void countParked();
  const parkedRefresh = setInterval(countParked, PARKED_REFRESH_MS);
  parkedRefresh.unref();

  const handle = async (event: DeliveredEvent, step?: FeedStep) => {
    if (event.redeliveries > 0) redeliveries.inc();
    const result = await applyOrderEvent(options, transport, event, step);
    consumed.inc({ result });
    if (result === 'parked') await countParked();
  };
  let subscription: Subscription;
  if (options.bus) {
    subscription = await options.bus.subscribe({
      durable: options.consumer,
      ackWaitMs: options.ackWaitMs,
      subject: 'orders.v1.>',
      handler: handle,
    });
    logger.info({ eventTransport: transport, consumer: options.consumer }, 'order events: consuming from JetStream (NATS_URL)');
  } else {
    subscription = startOrderFeedConsumer({ orders: options.orders, cursors: options.cursors, consumer: options.consumer, handle, logger });
    logger.info(
      { eventTransport: transport, consumer: options.consumer },
      'order events: no broker (NATS_URL unset); reading the orders outbox feed over gRPC (order.v1.OrderService/ListOrderEvents)',
    );
  }
  new Gauge({
    name: 'events_consumer_lag',
    help: 'Order events published but not yet applied by the loyalty consumer.',
    registers: [registry],
    async collect() {
      this.set(await subscription.pending().catch(() => Number.NaN));
    },
  });
  return {
    transport,
    async close() {
      clearInterval(parkedRefresh);
      await subscription.close();
    },
  };
}
