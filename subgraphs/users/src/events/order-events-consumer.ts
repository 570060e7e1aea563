import type { EventBus, Subscription } from '@fedshop/shared/events';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LoyaltyRepository } from '../repositories/loyalty-repository';
import { applyOrderEvent } from '../use-cases/apply-order-event';

/**
 * Consumes order events into loyalty (lifetime spend, tier). Each event is acknowledged only
 * after its transaction committed (the bus acks when the handler resolves), so a crash
 * mid-stream means redelivery, and processed event ids make redelivery change nothing.
 */
export async function startOrderEventsConsumer(options: {
  bus: EventBus;
  /** Durable consumer name: JetStream remembers its position across restarts. */
  durable: string;
  ackWaitMs?: number;
  loyalty: LoyaltyRepository;
  logger: Logger;
  registry: Registry;
  /** Hears of each loyalty change once its transaction committed (with the order write's trace context). */
  onLoyaltyChanged?: (change: { userId: string; eventId: string; traceparent: string | undefined }) => void;
}): Promise<Subscription> {
  const { logger } = options;
  const processed = new Counter({
    name: 'events_consumed_total',
    help: 'Order events consumed, by result (applied / duplicate / ignored).',
    labelNames: ['result'] as const,
    registers: [options.registry],
  });
  const redeliveries = new Counter({
    name: 'events_redeliveries_total',
    help: 'Order events delivered again after a failure or a restart.',
    registers: [options.registry],
  });
  const subscription = await options.bus.subscribe({
    durable: options.durable,
    ackWaitMs: options.ackWaitMs,
    subject: 'orders.v1.>',
    handler: async (event) => {
      if (event.redeliveries > 0) redeliveries.inc();
      const result = await applyOrderEvent(options.loyalty, logger, event, (change) =>
        options.onLoyaltyChanged?.({ ...change, traceparent: event.traceparent }),
      );
      processed.inc({ result });
    },
  });
  new Gauge({
    name: 'events_consumer_lag',
    help: 'Order events published but not yet acknowledged by the loyalty consumer.',
    registers: [options.registry],
    async collect() {
      const pending = await subscription.pending().catch(() => Number.NaN);
      this.set(pending);
    },
  });
  return subscription;
}
