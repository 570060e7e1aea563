import type { Logger } from 'pino';
import type { EventBus, SubscribeOptions, Subscription } from './event-bus';

/**
 * Wraps a broker connection so a service never waits for (or dies without) its broker at
 * start: the connection is attempted in the background and retried with backoff; publishes
 * fail fast while there is none (the outbox keeps the events), subscriptions start once it
 * exists.
 */
export function lazyEventBus(connect: () => Promise<EventBus>, logger: Logger): EventBus {
  let bus: EventBus | undefined;
  let closed = false;
  const waiting: (() => void)[] = [];
  const connected = (async () => {
    for (let attempt = 0; !closed; attempt++) {
      try {
        bus = await connect();
        if (attempt > 0) logger.info('event broker connected');
        for (const resume of waiting.splice(0)) resume();
        return;
      } catch (error) {
        if (attempt === 0) logger.warn({ err: error }, 'event broker unreachable; retrying in the background');
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** Math.min(attempt, 5))));
      }
    }
  })();
  return {
    kind: 'jetstream',
    async publish(subject, data, id, options) {
      if (!bus) throw new Error('event broker not connected');
      return bus.publish(subject, data, id, options);
    },
    async subscribe(options: SubscribeOptions): Promise<Subscription> {
      let inner: Subscription | undefined;
      let cancelled = false;
      const ready = bus ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve));
      const started = ready.then(async () => {
        if (!cancelled && bus) inner = await bus.subscribe(options);
      });
      started.catch((error: unknown) => logger.error({ err: error, durable: options.durable }, 'could not subscribe'));
      return {
        pending: async () => (inner ? inner.pending() : Number.NaN),
        close: async () => {
          cancelled = true;
          await inner?.close();
        },
      };
    },
    async close() {
      closed = true;
      for (const resume of waiting.splice(0)) resume();
      await connected.catch(() => undefined);
      await bus?.close();
    },
  };
}
