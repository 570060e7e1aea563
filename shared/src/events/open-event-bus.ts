import type { Logger } from 'pino';
import type { EventBus, StreamSpec } from './event-bus';
import { InProcessBus } from './in-process-bus';
import { connectJetStreamBus } from './jetstream-bus';
import { lazyEventBus } from './lazy-bus';

export interface OpenEventBusOptions {
  /** JetStream when set. */
  natsUrl: string | undefined;
  /** Client name (the service). */
  name: string;
  stream: StreamSpec;
  logger: Logger;
  /** A bus supplied by the caller (tests share one in-process bus between services); never closed here. */
  injected?: EventBus;
  /** JetStream only: prefix of the stream and its subjects on a shared server (NATS_NAMESPACE). */
  namespace?: string;
}

/**
 * The service's event bus: the injected one, else JetStream at NATS_URL (connected in the
 * background, so a missing broker never blocks start), else an in-process bus.
 */
export function openEventBus(options: OpenEventBusOptions): { bus: EventBus; close(): Promise<void> } {
  if (options.injected) return { bus: options.injected, close: async () => undefined };
  if (options.natsUrl) {
    const url = options.natsUrl;
    const bus = lazyEventBus(
      () => connectJetStreamBus({ url, name: options.name, stream: options.stream, logger: options.logger, namespace: options.namespace }),
      options.logger,
    );
    return { bus, close: () => bus.close() };
  }
  options.logger.warn('NATS_URL not set: events stay inside this process (set it to connect services through JetStream)');
  const bus = new InProcessBus(options.stream);
  return { bus, close: () => bus.close() };
}
