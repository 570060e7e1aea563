import type { DeliveredEvent, Subscription } from '@fedshop/shared/events';
import { withConsumedEventSpan } from '@fedshop/shared/telemetry';
import type { Logger } from 'pino';
import type { OrderServiceClient } from '../clients/order-service-client';
import { FeedCursorMovedError, type EventFeedCursorRepository, type FeedStep } from '../repositories/event-feed-cursor-repository';

export interface OrderFeedConsumerOptions {
  orders: Pick<OrderServiceClient, 'listOrderEvents'>;
  cursors: EventFeedCursorRepository;
  /** The consumer's name: its cursor in this database, and how orders knows what it still needs. */
  consumer: string;
  /**
   * Applies one event, moving the cursor to `step.to` in the same transaction; rejects to have
   * it delivered again after a pause.
   */
  handle: (event: DeliveredEvent, step: FeedStep) => Promise<void>;
  logger: Logger;
  /** Events asked for per call (100). */
  batchSize?: number;
  /** How long one call waits at orders for an event when there is none (a long poll), ms (10000). */
  waitMs?: number;
  /** Pause after the first failure, doubling with each one after, ms (200). */
  retryDelayMs?: number;
  /**
   * Longest pause between attempts, ms (1000): short, so events flow within a second or so of
   * orders coming back (a failed attempt costs one refused connection).
   */
  maxBackoffMs?: number;
}

/**
 * Reads the orders outbox as an ordered feed over gRPC (order.v1.OrderService/ListOrderEvents)
 * and hands each event to `handle`, in sequence order, one transaction each. The position is
 * the cursor kept in this service's database and moved by `handle`'s own transaction, so after
 * a crash or restart (of either service) reading resumes right after the last event applied:
 * delivery is at least once and in order, and nothing is lost while either side is down. An
 * event that fails is retried, with growing pauses, before anything after it: the handler
 * decides when a poisoned one is parked instead.
 */
export function startOrderFeedConsumer(options: OrderFeedConsumerOptions): Subscription {
  const { orders, cursors, consumer, logger } = options;
  const batchSize = options.batchSize ?? 100;
  const waitMs = options.waitMs ?? 10_000;
  const retryDelayMs = options.retryDelayMs ?? 200;
  const maxBackoffMs = options.maxBackoffMs ?? 1_000;
  const stopping = new AbortController();
  let cursor: number | undefined;
  let head: number | undefined;
  /** Consecutive rounds that failed, whether reading the feed or applying an event. */
  let failures = 0;
  /** The event that failed last, and how many deliveries it has had in this process. */
  let failing: { sequence: number; deliveries: number } | undefined;
  /** Whether orders has answered once: before that, an unreachable feed is a start in progress, not an outage. */
  let answered = false;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        resolve();
      }
      stopping.signal.addEventListener('abort', done, { once: true });
    });

  /** Applies the page's events in order; false when one failed (after that nothing more is tried). */
  const applyPage = async (events: Awaited<ReturnType<OrderFeedConsumerOptions['orders']['listOrderEvents']>>['events']) => {
    for (const item of events) {
      if (stopping.signal.aborted) return true;
      const from = cursor!;
      const deliveriesHere = failing?.sequence === item.sequence ? failing.deliveries : 0;
      const event: DeliveredEvent = {
        subject: item.subject,
        data: item.payload,
        id: item.eventId || undefined,
        sequence: item.sequence,
        // Orders says when it handed this event over before (a restart here); this process counts its own retries.
        redeliveries: Math.max(deliveriesHere, item.redelivered ? 1 : 0),
        traceparent: item.traceparent || undefined,
      };
      try {
        await withConsumedEventSpan(event, 'outbox-feed', () => options.handle(event, { consumer, from, to: item.sequence }));
      } catch (error) {
        if (error instanceof FeedCursorMovedError) {
          // Another replica is reading the same feed and got further: continue from where it is.
          logger.debug({ consumer, sequence: item.sequence }, 'feed cursor moved by another reader');
          cursor = undefined;
          return true;
        }
        failing = { sequence: item.sequence, deliveries: event.redeliveries + 1 };
        const line = { err: error, consumer, sequence: item.sequence, eventId: event.id, deliveries: failing.deliveries };
        if (deliveriesHere === 0) logger.warn(line, 'order event could not be applied; it will be delivered again');
        else logger.debug(line, 'order event failed again');
        return false;
      }
      failing = undefined;
      cursor = item.sequence;
    }
    return true;
  };

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let succeeded = false;
      try {
        cursor ??= await cursors.position(consumer);
        const asked = Date.now();
        const page = await orders.listOrderEvents({ consumer, afterSequence: cursor, limit: batchSize, waitMs }, stopping.signal);
        if (page.headSequence < cursor) {
          // The feed ends before what this consumer already applied: orders' database was
          // replaced (or restored), and its new events reuse old sequences. Read it all again:
          // processed event ids keep what was applied before from applying twice.
          logger.error(
            { consumer, cursor, headSequence: page.headSequence },
            'the order feed is behind this consumer: reading it again from the start',
          );
          await cursors.rewind(consumer, cursor);
          cursor = 0;
          continue;
        }
        head = page.headSequence;
        if (failures > 0 && !failing) logger.info({ consumer, afterFailures: failures }, 'reading the order feed');
        answered = true;
        succeeded = await applyPage(page.events);
        // An empty answer long before the wait was up (orders stopping, or one that does not
        // wait): pause, rather than ask again in a tight loop.
        if (succeeded && page.events.length === 0 && Date.now() - asked < waitMs / 2) await pause(retryDelayMs);
      } catch (error) {
        if (stopping.signal.aborted) break;
        if (failures === 0 && answered)
          logger.warn({ err: error, consumer }, 'order feed unavailable (orders or this database down); retrying with backoff');
        else if (failures === 0)
          logger.info(
            { consumer, reason: (error as Error).message },
            'waiting for the order feed (orders may still be starting); retrying',
          );
      }
      if (succeeded) {
        failures = 0;
        continue;
      }
      failures++;
      await pause(Math.min(maxBackoffMs, retryDelayMs * 2 ** Math.min(failures - 1, 10)));
    }
  })();

  return {
    /** Events in the feed after the cursor, as of the last answer from orders (NaN before the first). */
    pending: async () => (cursor === undefined || head === undefined ? Number.NaN : Math.max(0, head - cursor)),
    async close() {
      stopping.abort();
      await loop;
    },
  };
}
