import { isCanonicalUuid } from '@fedshop/shared/domain';
import { translateInfrastructureError } from '@fedshop/shared/errors';
import {
  ORDER_CANCELLED_SUBJECT,
  ORDER_PLACED_SUBJECT,
  orderEventsV1,
  type DeliveredEvent,
  type EventTransport,
} from '@fedshop/shared/events';
import type { Logger } from 'pino';
import { FeedCursorMovedError, type EventFeedCursorRepository, type FeedStep } from '../repositories/event-feed-cursor-repository';
import type { LoyaltyRepository } from '../repositories/loyalty-repository';
import type { ParkedEventRepository } from '../repositories/parked-event-repository';

export type OrderEventOutcome = 'applied' | 'duplicate' | 'ignored' | 'parked';

export interface OrderEventDependencies {
  loyalty: LoyaltyRepository;
  parked: ParkedEventRepository;
  cursors: EventFeedCursorRepository;
  logger: Logger;
  /** Deliveries an event gets before one that keeps failing is parked (EVENTS_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Hears of each loyalty change once its transaction committed, with the order write's trace context (live subscriptions). */
  onLoyaltyChanged?: (change: { userId: string; eventId: string; traceparent: string | undefined }) => void;
}

/** What the event says, or why it can never apply, or that it is not an event this consumer handles. */
type Decoded = { eventId: string; userId: string; deltaCents: number } | { problem: string } | 'not-ours';

function decode(event: { subject: string; data: Uint8Array }): Decoded {
  let message: { eventId: string; userId: string; totalCents: number };
  let sign: 1 | -1;
  try {
    if (event.subject === ORDER_PLACED_SUBJECT) {
      message = orderEventsV1.OrderPlaced.decode(event.data);
      sign = 1;
    } else if (event.subject === ORDER_CANCELLED_SUBJECT) {
      message = orderEventsV1.OrderCancelled.decode(event.data);
      sign = -1;
    } else {
      return 'not-ours';
    }
  } catch (error) {
    return { problem: `undecodable ${event.subject}: ${(error as Error).message}` };
  }
  if (!isCanonicalUuid(message.eventId)) return { problem: 'malformed: event id is not a UUID' };
  if (!isCanonicalUuid(message.userId)) return { problem: 'malformed: user id is not a UUID' };
  if (!Number.isSafeInteger(message.totalCents) || message.totalCents < 0)
    return { problem: 'malformed: total is not a non-negative integer' };
  return { eventId: message.eventId, userId: message.userId, deltaCents: sign * message.totalCents };
}

/**
 * Applies one order event to the customer's lifetime spend and tier, exactly once: a placed
 * order adds its total, a cancelled one takes it back (sums commute, so order does not matter
 * for the result). Events from the feed (`step` given) move the consumer's cursor in the same
 * transaction as their effect.
 *
 * A poisoned event never stops the stream: one that can never apply (undecodable, malformed)
 * is parked at once; one whose application keeps failing is parked on its `maxAttempts`-th
 * delivery. Parked events are logged, counted and kept with their payload. Failures of the
 * infrastructure (the database unreachable, a lost transaction) are never a reason to park:
 * they reject, and the event is delivered again later. Subjects this consumer does not handle
 * are skipped. Events about accounts that no longer exist change nothing.
 */
export async function applyOrderEvent(
  deps: OrderEventDependencies,
  transport: EventTransport,
  event: DeliveredEvent,
  step?: FeedStep,
): Promise<OrderEventOutcome> {
  const decoded = decode(event);
  if (decoded === 'not-ours') {
    if (step) await deps.cursors.skip(step);
    return 'ignored';
  }
  const park = async (reason: string, eventId?: string): Promise<OrderEventOutcome> => {
    const messageId = eventId ?? event.id ?? `${transport}:${event.sequence ?? 'unknown'}`;
    const attempts = event.redeliveries + 1;
    const fresh = await deps.parked.park(
      {
        messageId,
        transport,
        subject: event.subject,
        payload: event.data,
        sequence: event.sequence,
        reason,
        attempts,
        traceparent: event.traceparent,
      },
      step,
    );
    if (fresh)
      deps.logger.error(
        { messageId, subject: event.subject, sequence: event.sequence, attempts, reason },
        'order event parked: it cannot be applied',
      );
    return 'parked';
  };
  if ('problem' in decoded) return park(decoded.problem);
  try {
    const applied = await deps.loyalty.applyOnce(decoded.eventId, decoded.userId, decoded.deltaCents, step);
    if (!applied) return 'duplicate';
    deps.onLoyaltyChanged?.({ userId: decoded.userId, eventId: decoded.eventId, traceparent: event.traceparent });
    return 'applied';
  } catch (error) {
    const worthRetrying = error instanceof FeedCursorMovedError || translateInfrastructureError(error) !== undefined;
    if (worthRetrying || event.redeliveries + 1 < deps.maxAttempts) throw error;
    return park(`failed ${event.redeliveries + 1} times: ${(error as Error).message}`, decoded.eventId);
  }
}
