import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Histogram, type Registry } from 'prom-client';
import { entityTag, rootFieldTag } from '@fedshop/shared/subgraph/cache-tags';

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

/** Core NATS subject on which the replica that executed a mutation tells the others what it purged. */
export const PURGE_BROADCAST_SUBJECT = 'fedshop.gateway.response-cache.purge';

export interface PurgeListener {
  /** Resolves once the listener is consuming (or the gateway is stopping). */
  ready: Promise<void>;
  /**
   * Tells the other replicas at once what this one purged after a mutation (core NATS, at
   * most once): the outbox's event is the durable path, this one spares them its latency.
   */
  broadcast(tags: string[]): void;
  close(): Promise<void>;
}

/** The tags of a peer's broadcast, or null when it is this replica's own or not one at all. */
function broadcastTags(data: Uint8Array, self: string): string[] | null {
  try {
    const message = JSON.parse(new TextDecoder().decode(data)) as { origin?: unknown; tags?: unknown };
    if (message.origin === self || !Array.isArray(message.tags) || message.tags.length > 10_000) return null;
    return message.tags.every((tag) => typeof tag === 'string') ? (message.tags as string[]) : null;
  } catch {
    return null;
  }
}

/**
 * Every gateway replica purges its cached responses on the services' change events (and on
 * the peers' broadcasts of what a mutation they executed invalidated): an
 * ordered (ephemeral, per-replica) JetStream consumer on the ORDERS stream from the newest
 * message on, so each replica sees every event and none is shared out among them. The
 * stream is the orders service's; until it exists (or NATS answers) the listener retries. Measures each
 * event's lag from the change to this replica's completed purge.
 */
export function listenForPurges(options: {
  url: string;
  logger: Logger;
  registry: Registry;
  purge: (tags: string[], source: 'event' | 'broadcast') => Promise<void>;
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
  const self = randomUUID();
  let stopping = false;
  let connection: Awaited<ReturnType<typeof connect>> | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const run = async () => {
    for (;;) {
      if (stopping) return;
      try {
        // Once connected, the client reconnects by itself; until then (NATS not up yet) this loop retries.
        if (!connection) {
          connection = await connect({
            servers: options.url,
            name: 'gateway-cache-purge',
            reconnect: true,
            maxReconnectAttempts: -1,
            reconnectTimeWait: 500,
          });
          // Closed while connecting (a start that failed at once): close() found no connection to close.
          if (stopping) {
            await connection.close().catch(() => undefined);
            return;
          }
          connection.subscribe(PURGE_BROADCAST_SUBJECT, {
            callback: (error, message) => {
              const tags = error ? null : broadcastTags(message.data, self);
              if (tags) void options.purge(tags, 'broadcast').catch(() => undefined);
            },
          });
        }
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
            await options.purge(tags, 'event');
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
    broadcast(tags) {
      if (!connection || connection.isClosed()) return;
      try {
        connection.publish(PURGE_BROADCAST_SUBJECT, JSON.stringify({ origin: self, tags }));
      } catch (error) {
        options.logger.warn({ err: error }, 'response cache purge not broadcast (the change event still reaches every replica)');
      }
    },
    async close() {
      stopping = true;
      markReady();
      await connection?.close().catch(() => undefined);
    },
  };
}
