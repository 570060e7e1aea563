import type { Logger } from 'pino';

/**
 * Live events for GraphQL subscriptions: what a service tells its own replicas (and itself)
 * right after a write committed, so each replica can push it to the subscribers connected to
 * it. Unlike the durable event bus (events/), this is fire-and-forget: a replica that is not
 * listening at that moment misses the event, and a subscriber re-reads state when it
 * reconnects. One subject per feed; every replica receives every message and picks the
 * subscribers it has for it.
 */
export interface LiveFeed<T> {
  readonly kind: 'nats' | 'in-process';
  /** Sends a message to every replica's listeners (this one's included). Never throws. */
  publish(message: T): void;
  /** Calls `listener` with each message; returns the function that stops it. */
  listen(listener: (message: T) => void): () => void;
  close(): Promise<void>;
}

export interface OpenLiveFeedOptions {
  /** Core NATS (no JetStream: nothing is stored) when set; otherwise messages stay in this process. */
  natsUrl: string | undefined;
  /** The NATS subject, e.g. `fedshop.live.orders.v1.status`. */
  subject: string;
  /** Client name shown by the NATS server (the service). */
  name: string;
  logger: Logger;
}

class InProcessLiveFeed<T> implements LiveFeed<T> {
  readonly kind = 'in-process' as const;
  private readonly listeners = new Set<(message: T) => void>();

  publish(message: T): void {
    for (const listener of this.listeners) listener(message);
  }

  listen(listener: (message: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}

/**
 * Core NATS pub/sub: a message published by any replica reaches every replica subscribed to
 * the subject. The connection is made in the background and retried forever (a missing broker
 * never blocks start); while it is down, messages are dropped and logged once.
 */
function natsLiveFeed<T>(options: OpenLiveFeedOptions & { natsUrl: string }): LiveFeed<T> {
  // Loaded here, not at the top: a service without NATS_URL never loads the NATS client.
  const { connect } = require('@nats-io/transport-node') as typeof import('@nats-io/transport-node');
  const listeners = new Set<(message: T) => void>();
  let connection: import('@nats-io/transport-node').NatsConnection | undefined;
  let closed = false;
  let droppedSinceLog = 0;
  const deliver = (data: Uint8Array) => {
    let message: T;
    try {
      message = JSON.parse(Buffer.from(data).toString('utf8')) as T;
    } catch (error) {
      options.logger.warn({ err: error, subject: options.subject }, 'undecodable live event ignored');
      return;
    }
    for (const listener of listeners) listener(message);
  };
  const connected = (async () => {
    for (let attempt = 0; !closed; attempt++) {
      try {
        const nats = await connect({
          servers: options.natsUrl,
          name: `${options.name}-live`,
          reconnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
        });
        if (closed) {
          await nats.close();
          return;
        }
        nats.subscribe(options.subject, { callback: (error, message) => (error ? undefined : deliver(message.data)) });
        connection = nats;
        options.logger.info({ subject: options.subject, afterAttempts: attempt + 1 }, 'live events: NATS connected');
        return;
      } catch (error) {
        if (attempt === 0)
          options.logger.warn({ err: error, subject: options.subject }, 'live events: NATS unreachable; retrying in the background');
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** Math.min(attempt, 5))));
      }
    }
  })();
  return {
    kind: 'nats',
    publish(message) {
      if (!connection) {
        if (droppedSinceLog++ === 0)
          options.logger.warn({ subject: options.subject }, 'live events: NATS not connected; live updates are dropped');
        return;
      }
      droppedSinceLog = 0;
      connection.publish(options.subject, JSON.stringify(message));
    },
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      listeners.clear();
      await connected;
      await connection?.drain().catch(() => undefined);
    },
  };
}

/** The live feed of one subject: core NATS at `natsUrl`, else in this process. */
export function openLiveFeed<T>(options: OpenLiveFeedOptions): LiveFeed<T> {
  if (options.natsUrl) return natsLiveFeed<T>({ ...options, natsUrl: options.natsUrl });
  return new InProcessLiveFeed<T>();
}
