import type { Logger } from 'pino';
import type { EventBus, StreamSpec } from './event-bus';
import { connectJetStreamBus } from './jetstream-bus';
import { lazyEventBus } from './lazy-bus';

export interface OpenEventBusOptions {
  /** JetStream when set. */
  natsUrl: string | undefined;
  /** Client name (the service). */
  name: string;
  stream: StreamSpec;
  logger: Logger;
  /** A bus supplied by the caller (tests give each service its own JetStream connection); never closed here. */
  injected?: EventBus;
  /** JetStream only: prefix of the stream and its subjects on a shared server (NATS_NAMESPACE). */
  namespace?: string;
}

/**
 * The service's broker connection: the injected bus, else JetStream at NATS_URL (connected in
 * the background, so a missing broker never blocks start). Undefined with neither: events then
 * travel without a broker, the consumer reading the producer's outbox as a feed over gRPC.
 */
export function openEventBus(options: OpenEventBusOptions): { bus: EventBus; close(): Promise<void> } | undefined {
  if (options.injected) return { bus: options.injected, close: async () => undefined };
  if (!options.natsUrl) return undefined;
  const url = options.natsUrl;
  const bus = lazyEventBus(
    () => connectJetStreamBus({ url, name: options.name, stream: options.stream, logger: options.logger, namespace: options.namespace }),
    options.logger,
  );
  return { bus, close: () => bus.close() };
}
