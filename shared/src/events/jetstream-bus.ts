import {
  AckPolicy,
  DeliverPolicy,
  jetstream as jetStreamClient,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, headers as natsHeaders, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { withConsumedEventSpan } from '../telemetry/event-trace-context';
import type { EventBus, StreamSpec, SubscribeOptions, Subscription } from './event-bus';

/** The W3C trace context header, as HTTP carries it. */
const TRACEPARENT_HEADER = 'traceparent';

export interface JetStreamBusOptions {
  url: string;
  /** Client name shown by the server (the service name). */
  name: string;
  stream: StreamSpec;
  logger: Logger;
  /** How long a publish waits for the broker's acknowledgement, ms (2000). */
  publishTimeoutMs?: number;
  /**
   * Keeps this deployment's events apart on a shared NATS server: the stream becomes
   * `<namespace>_<name>` and every subject `<namespace>.<subject>` on the wire, while publishers
   * and handlers keep using the contract's subjects. Default: none (stream ORDERS, `orders.v1.>`).
   */
  namespace?: string;
}

/** Letters, digits, `-` and `_`: valid in a stream name and as one subject token. */
export const NATS_NAMESPACE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** How long JetStream remembers message ids to drop duplicates. */
const DUPLICATE_WINDOW_MS = 10 * 60_000;
/** How long events stay in the stream: long enough for any consumer outage, bounded for disk. */
const RETENTION_MS = 7 * 24 * 60 * 60_000;

/**
 * NATS JetStream: the stream and consumers are created idempotently at start; publishes carry
 * `Nats-Msg-Id` (the event id) so the broker drops duplicates; consumers are durable with
 * explicit acks, so an event is redelivered until the consumer's own transaction committed.
 */
export async function connectJetStreamBus(options: JetStreamBusOptions): Promise<EventBus> {
  const { namespace } = options;
  if (namespace !== undefined && !NATS_NAMESPACE_PATTERN.test(namespace)) {
    throw new Error(`NATS namespace "${namespace}" must be 1 to 32 letters, digits, - or _`);
  }
  const onWire = (subject: string) => (namespace ? `${namespace}.${subject}` : subject);
  const fromWire = (subject: string) => (namespace && subject.startsWith(`${namespace}.`) ? subject.slice(namespace.length + 1) : subject);
  const stream: StreamSpec = {
    name: namespace ? `${namespace}_${options.stream.name}` : options.stream.name,
    subjects: options.stream.subjects.map(onWire),
  };
  const connection: NatsConnection = await connect({
    servers: options.url,
    name: options.name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  const manager: JetStreamManager = await jetstreamManager(connection);
  await ensureStream(manager, stream);
  const jetstream: JetStreamClient = jetStreamClient(connection);
  const subscriptions: Subscription[] = [];
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        options.logger.warn({ nats: status.type }, `NATS ${status.type}`);
      }
    }
  })();

  return {
    kind: 'jetstream',
    async publish(subject, data, id, publishOptions) {
      const headers = natsHeaders();
      headers.set('Nats-Msg-Id', id);
      if (publishOptions?.traceparent) headers.set(TRACEPARENT_HEADER, publishOptions.traceparent);
      await jetstream.publish(onWire(subject), data, {
        msgID: id,
        headers,
        expect: { streamName: stream.name },
        timeout: options.publishTimeoutMs ?? 2_000,
      });
    },
    async subscribe(subscribe: SubscribeOptions): Promise<Subscription> {
      const config = {
        durable_name: subscribe.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: onWire(subscribe.subject),
        ack_wait: nanos(subscribe.ackWaitMs ?? 30_000),
        max_deliver: -1,
      };
      try {
        await manager.consumers.info(stream.name, subscribe.durable);
        await manager.consumers.update(stream.name, subscribe.durable, {
          filter_subject: config.filter_subject,
          ack_wait: config.ack_wait,
        });
      } catch {
        await manager.consumers.add(stream.name, config);
      }
      const consumer = await jetstream.consumers.get(stream.name, subscribe.durable);
      const messages = await consumer.consume({ max_messages: 64 });
      let closing = false;
      const loop = (async () => {
        for await (const message of messages) {
          if (closing) {
            // Pulled but not handled: handed back at once, so another instance of the durable
            // (a replica that stays) takes them now rather than after ack_wait, and a stopping
            // replica does not spend its shutdown time working through a full batch.
            message.nak();
            continue;
          }
          try {
            const event = {
              subject: fromWire(message.subject),
              data: message.data,
              id: message.headers?.get('Nats-Msg-Id') || undefined,
              sequence: message.info.streamSequence,
              redeliveries: message.info.deliveryCount - 1,
              traceparent: message.headers?.get(TRACEPARENT_HEADER) || undefined,
            };
            await withConsumedEventSpan(event, 'nats', () => subscribe.handler(event));
            message.ack();
          } catch (error) {
            options.logger.warn({ err: error, subject: message.subject }, 'event handler failed; will be redelivered');
            message.nak(1_000);
          }
        }
      })();
      const subscription: Subscription = {
        async pending() {
          const info = await manager.consumers.info(stream.name, subscribe.durable);
          return info.num_pending + info.num_ack_pending;
        },
        async close() {
          // The event being handled finishes (and is acknowledged); the rest are handed back.
          closing = true;
          await messages.close();
          await loop;
        },
      };
      subscriptions.push(subscription);
      return subscription;
    },
    async close() {
      for (const subscription of subscriptions) await subscription.close().catch(() => undefined);
      await connection.drain().catch(() => undefined);
    },
  };
}

/** Creates the stream, or brings an existing one's subjects up to date. */
async function ensureStream(manager: JetStreamManager, stream: StreamSpec): Promise<void> {
  try {
    const info = await manager.streams.info(stream.name);
    const missing = stream.subjects.filter((subject) => !info.config.subjects?.includes(subject));
    if (missing.length > 0) {
      await manager.streams.update(stream.name, { ...info.config, subjects: [...(info.config.subjects ?? []), ...missing] });
    }
  } catch {
    await manager.streams.add({
      name: stream.name,
      subjects: stream.subjects,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      max_age: nanos(RETENTION_MS),
    });
  }
}
