import type { EventBus } from '@fedshop/shared/events';
import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import type { OutboxRepository, PendingEvent } from '../repositories/outbox-repository';

export interface OutboxRelayOptions {
  outbox: OutboxRepository;
  /**
   * JetStream, when NATS_URL is set: each event is published there and released only once the
   * broker acknowledged it. Without a bus, events are released straight into the feed that
   * consumers read over gRPC (order.v1.OrderService/ListOrderEvents).
   */
  bus?: EventBus;
  logger: Logger;
  /** Pause between polls when the outbox is empty, ms (250). */
  idleMs?: number;
  /** Longest pause after failures (broker or database down), ms (5000). */
  maxBackoffMs?: number;
  /** Events released per transaction (100). */
  batchSize?: number;
  /** Called after events were released, so feed readers waiting in this process answer at once. */
  onReleased?: () => void;
  /** Released events are kept at least this long, and until every feed consumer has acknowledged them, seconds. */
  retentionSeconds: number;
  /** How often old released events are deleted, ms (60000). */
  pruneEveryMs?: number;
  /**
   * Gauges kept up to date by the loop (never by a scrape: /metrics must answer while the
   * database is busy or down). `consumerLag` is refreshed at most once a second.
   */
  metrics?: { backlog: Gauge; oldestPendingSeconds: Gauge; consumerLag?: Gauge<'consumer'> };
  /** Called with the events just released, in order, once their transaction committed (live subscriptions). */
  onPublished?: (events: PendingEvent[]) => void;
}

export interface OutboxRelay {
  /** Release soon (called after a transaction wrote events). */
  nudge(): void;
  /** Stops after the batch in progress. */
  stop(): Promise<void>;
}

/** Events deleted per pruning statement: bounded, so one prune never holds the table for long. */
const PRUNE_BATCH = 5_000;

/**
 * Releases pending outbox events in order: publishes each to the bus (when there is one) and
 * marks it published, numbered into the feed, only after the broker acknowledged it. While the
 * broker is down nothing is lost: events wait in the outbox (the orders service keeps accepting
 * orders) and drain in order once it is back. A crash between publish and mark republishes
 * the event with the same id; the broker's duplicate window and the consumer's processed-event
 * ids make that harmless. Also deletes released events past their retention.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { outbox, bus, logger } = options;
  const idleMs = options.idleMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  const pruneEveryMs = options.pruneEveryMs ?? 60_000;
  let stopped = false;
  /** Rounds in a row that failed (database unreachable, or the broker refused an event). */
  let failures = 0;
  let publishFailed = false;
  let lastPrune = 0;
  let lastLags = 0;
  let wake: (() => void) | undefined;

  const publishToBus = bus
    ? async (events: { id: string; subject: string; payload: Uint8Array; traceparent: string | null }[]) => {
        let acknowledged = 0;
        for (const event of events) {
          try {
            await bus.publish(event.subject, event.payload, event.id, { traceparent: event.traceparent ?? undefined });
          } catch (error) {
            if (failures === 0) logger.warn({ err: error, eventId: event.id }, 'event broker unavailable; events wait in the outbox');
            publishFailed = true;
            break;
          }
          acknowledged++;
        }
        return acknowledged;
      }
    : undefined;

  const prune = async () => {
    if (Date.now() - lastPrune < pruneEveryMs) return;
    lastPrune = Date.now();
    try {
      const deleted = await outbox.prune(options.retentionSeconds, PRUNE_BATCH);
      if (deleted > 0) logger.info({ deleted }, 'deleted released outbox events past their retention');
      // A full batch means more are due: try again on the next round rather than in a minute.
      if (deleted === PRUNE_BATCH) lastPrune = 0;
    } catch (error) {
      logger.warn({ err: error }, 'could not delete old outbox events');
    }
  };

  const loop = (async () => {
    while (!stopped) {
      let released: number;
      publishFailed = false;
      try {
        let releasedEvents: PendingEvent[] = [];
        released =
          (await outbox.releasePending(options.batchSize ?? 100, async (events) => {
            const acknowledged = publishToBus ? await publishToBus(events) : events.length;
            releasedEvents = events.slice(0, acknowledged);
            return acknowledged;
          })) ?? 0;
        if (released > 0) {
          options.onReleased?.();
          // After releasePending returned: the transaction that marked them released has committed.
          options.onPublished?.(releasedEvents);
        }
        if (publishFailed) {
          failures++;
        } else if (failures > 0) {
          logger.info({ afterFailures: failures }, 'outbox relay recovered; outbox draining');
          failures = 0;
        }
        const backlog = await outbox.backlog();
        options.metrics?.backlog.set(backlog.pending);
        options.metrics?.oldestPendingSeconds.set(backlog.oldestAgeSeconds);
        const consumerLag = options.metrics?.consumerLag;
        if (consumerLag && Date.now() - lastLags >= 1_000) {
          lastLags = Date.now();
          const lags = await outbox.consumerLags();
          consumerLag.reset();
          for (const { consumer, lag } of lags) consumerLag.set({ consumer }, lag);
        }
        // More waiting and the last batch went out: go on without pausing.
        if (backlog.pending > 0 && released > 0 && failures === 0) continue;
        await prune();
      } catch (error) {
        if (failures === 0) logger.warn({ err: error }, 'outbox relay could not read the outbox; retrying with backoff');
        failures++;
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
