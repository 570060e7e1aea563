import { isCanonicalUuid } from '@fedshop/shared/domain';
import { ORDER_CANCELLED_SUBJECT, ORDER_PLACED_SUBJECT, orderEventsV1 } from '@fedshop/shared/events';
import type { Logger } from 'pino';
import type { LoyaltyRepository } from '../repositories/loyalty-repository';

/**
 * Applies one order event to the customer's lifetime spend and tier, exactly once: a placed
 * order adds its total, a cancelled one takes it back. Events for unknown subjects, malformed
 * ones and events about accounts that no longer exist are acknowledged and ignored (retrying
 * could never make them apply); a database failure rejects so the event is redelivered.
 * `afterCommit` hears of each change once its transaction committed (live subscriptions).
 */
export async function applyOrderEvent(
  loyalty: LoyaltyRepository,
  logger: Logger,
  event: { subject: string; data: Uint8Array },
  afterCommit?: (change: { userId: string; eventId: string }) => void,
): Promise<'applied' | 'duplicate' | 'ignored'> {
  let decoded: { eventId: string; userId: string; totalCents: number };
  let sign: 1 | -1;
  try {
    if (event.subject === ORDER_PLACED_SUBJECT) {
      decoded = orderEventsV1.OrderPlaced.decode(event.data);
      sign = 1;
    } else if (event.subject === ORDER_CANCELLED_SUBJECT) {
      decoded = orderEventsV1.OrderCancelled.decode(event.data);
      sign = -1;
    } else {
      return 'ignored';
    }
  } catch (error) {
    logger.warn({ err: error, subject: event.subject }, 'undecodable order event ignored');
    return 'ignored';
  }
  if (!isCanonicalUuid(decoded.eventId) || !isCanonicalUuid(decoded.userId) || !Number.isSafeInteger(decoded.totalCents)) {
    logger.warn({ subject: event.subject }, 'malformed order event ignored');
    return 'ignored';
  }
  const applied = await loyalty.applyOnce(decoded.eventId, decoded.userId, sign * decoded.totalCents);
  if (applied) afterCommit?.({ userId: decoded.userId, eventId: decoded.eventId });
  return applied ? 'applied' : 'duplicate';
}
