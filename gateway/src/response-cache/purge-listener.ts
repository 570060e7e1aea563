import type { Logger } from 'pino';
import { Histogram, type Registry } from 'prom-client';
import { entityTag, rootFieldTag } from '@fedshop/shared/subgraph';

/** What a change event means for the response cache: the tags to purge (none: nothing cached shows it). */
export function tagsOfEvent(
  subject: string,
  data: Uint8Array,
  events: typeof import('@fedshop/shared/events'),
): { tags: string[]; occurredAt: Date | undefined } {
  if (subject === events.PRODUCT_CHANGED_SUBJECT) {
    const event = events.orderEventsV1.ProductChanged.decode(data);
    // As upsertProduct declares (orders resolvers): a new sku also changes the catalog's pages,
    // its totalCount and a `product(sku)` that answered null before.
    return {
      tags: [entityTag('Product', event.sku), rootFieldTag('Query', 'products'), rootFieldTag('Query', 'product')],
      occurredAt: event.occurredAt,
    };
  }
  if (subject === events.ORDER_PLACED_SUBJECT || subject === events.ORDER_CANCELLED_SUBJECT) {
    const message = subject === events.ORDER_PLACED_SUBJECT ? events.orderEventsV1.OrderPlaced : events.orderEventsV1.OrderCancelled;
    const event = message.decode(data);
    return { tags: [entityTag('Order', event.orderId), entityTag('User', event.userId)], occurredAt: event.occurredAt };
  }
  return { tags: [], occurredAt: undefined };
}

export interface PurgeListener {
  /** Resolves once the listener is consuming (or the gateway is stopping). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Every gateway replica purges its cached responses on the services' change events: an
 * ordered (ephemeral, per-replica) JetStream consumer on the ORDERS stream from the newest
 * message on, so each replica sees every event and none is shared out among them. The
 * stream is the orders service's; until it exists (or NATS answers) the listener retries. Measures each
 * event's lag from the change to this replica's completed purge.
 */
export function listenForPurges(options: {
  url: string;
  logger: Logger;
  registry: Registry;
  purge: (tags: string[]) => Promise<void>;
}): PurgeListener {
  // Loaded only when NATS is configured.
  const events = require('@fedshop/shared/events') as typeof import('@fedshop/shared/events');
  const { connect } = require('@nats-io/transport-node') as typeof import('@nats-io/transport-node');
  const { jetstream, DeliverPolicy } = require('@nats-io/jetstream') as typeof import('@nats-io/jetstream');
  const lag = new Histogram({
    name: 'gateway_response_cache_purge_lag_seconds',
    help: 'From a change event (its occurred_at, written before the change commits) to this replica having purged what shows it.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [options.registry],
  });
  let stopping = false;
  let connection: Awaited<ReturnType<typeof connect>> | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const run = async () => {
    for (;;) {
      if (stopping) return;
      try {
        // Once connected, the client reconnects by itself; until then (NATS not up yet) this loop retries.
        connection ??= await connect({ servers: options.url, name: 'gateway-cache-purge', reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
        const consumer = await jetstream(connection).consumers.get(events.ORDERS_STREAM.name, {
          // One subject as a string (filter_subject): servers before NATS 2.10 know no list.
          filter_subjects: events.ORDERS_STREAM.subjects[0]!,
          deliver_policy: DeliverPolicy.New,
        });
        const messages = await consumer.consume();
        options.logger.info({ stream: events.ORDERS_STREAM.name }, 'response cache purges on change events');
        markReady();
        for await (const message of messages) {
          try {
            const { tags, occurredAt } = tagsOfEvent(message.subject, message.data, events);
            if (tags.length === 0) continue;
            await options.purge(tags);
            if (occurredAt) lag.observe(Math.max(0, Date.now() - occurredAt.getTime()) / 1000);
          } catch (error) {
            options.logger.warn({ err: error, subject: message.subject }, 'undecodable change event ignored by the response cache');
          }
        }
        return;
      } catch (error) {
        if (stopping) return;
        options.logger.warn({ err: error }, 'response cache cannot follow change events yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, 2_000).unref());
      }
    }
  };
  run().catch((error: unknown) => {
    if (!stopping) options.logger.error({ err: error }, 'response cache stopped following change events');
    markReady();
  });
  return {
    ready,
    async close() {
      stopping = true;
      markReady();
      await connection?.close().catch(() => undefined);
    },
  };
}
