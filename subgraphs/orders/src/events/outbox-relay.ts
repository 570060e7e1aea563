import type { EventBus } from '@fedshop/shared/events';
import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import type { OutboxRepository, PendingEvent } from '../repositories/outbox-repository';

export interface OutboxRelayOptions {
  outbox: OutboxRepository;
  bus: EventBus;
  logger: Logger;
  /** Pause between polls when the outbox is empty, ms (250). */
  idleMs?: number;
  /** Longest pause after failures (broker down), ms (5000). */
  maxBackoffMs?: number;
  batchSize?: number;
  metrics?: { backlog: Gauge; oldestPendingSeconds: Gauge };
  /** Called with the events just published, in order, once they are marked published (their transaction committed). */
  onPublished?: (events: PendingEvent[]) => void;
}

export interface OutboxRelay {
  /** Publish soon (called after a transaction wrote events). */
  nudge(): void;
  /** Stops after the batch in progress. */
  stop(): Promise<void>;
}

/**
 * Publishes pending outbox events to the bus in order and marks each one published only
 * after the broker acknowledged it. While the broker is down nothing is lost: events wait in
 * the outbox (the orders service keeps accepting orders) and drain in order once it is back.
 * A crash between publish and mark republishes the event with the same id; the broker's
 * duplicate window and the consumer's processed-event ids make that harmless.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { outbox, bus, logger } = options;
  const idleMs = options.idleMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  let stopped = false;
  let failures = 0;
  let wake: (() => void) | undefined;

  const publishBatch = async () => {
    const published: PendingEvent[] = [];
    const count = await outbox.publishPending(options.batchSize ?? 100, async (events) => {
      let acknowledged = 0;
      for (const event of events) {
        try {
          await bus.publish(event.subject, event.payload, event.id, { traceparent: event.traceparent ?? undefined });
        } catch (error) {
          if (failures === 0) logger.warn({ err: error, eventId: event.id }, 'event broker unavailable; events wait in the outbox');
          failures++;
          break;
        }
        acknowledged++;
        published.push(event);
      }
      return acknowledged;
    });
    if (published.length > 0) options.onPublished?.(published);
    return count;
  };

  const loop = (async () => {
    while (!stopped) {
      let published = 0;
      try {
        published = (await publishBatch()) ?? 0;
        if (published > 0 && failures > 0) {
          logger.info({ afterFailures: failures }, 'event broker back; outbox draining');
          failures = 0;
        }
        const backlog = await outbox.backlog();
        options.metrics?.backlog.set(backlog.pending);
        options.metrics?.oldestPendingSeconds.set(backlog.oldestAgeSeconds);
        // More waiting and the last batch went out: go on without pausing.
        if (backlog.pending > 0 && published > 0 && failures === 0) continue;
      } catch (error) {
        failures++;
        logger.warn({ err: error }, 'outbox relay could not read the outbox');
      }
      const pause = failures > 0 ? Math.min(maxBackoffMs, idleMs * 2 ** Math.min(failures, 5)) : idleMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();

  return {
    nudge: () => wake?.(),
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
