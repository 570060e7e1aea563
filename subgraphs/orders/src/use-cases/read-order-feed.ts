import { badUserInput } from '@fedshop/shared/errors';
import type { FeedSignal } from '../events/feed-signal';
import type { FeedEvent, OutboxRepository } from '../repositories/outbox-repository';

/** What a feed consumer asks: who it is, what it has applied, how much it takes, how long it waits. */
export interface OrderFeedRequest {
  consumer: string;
  afterSequence: number;
  limit: number;
  waitMs: number;
}

export interface OrderFeedPage {
  events: (FeedEvent & { redelivered: boolean })[];
  headSequence: number;
}

export interface OrderFeedDependencies {
  outbox: OutboxRepository;
  feedSignal: FeedSignal;
  /** How often a waiting reader looks at the feed again when not woken (OUTBOX_POLL_MS). */
  pollMs: number;
}

const CONSUMER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const DEFAULT_LIMIT = 100;
/** About 100 KB of events per answer: well inside the 1 MiB gRPC message limit. */
export const MAX_FEED_LIMIT = 500;
/** A long poll never outlasts this, so a consumer's call deadline can be bounded. */
export const MAX_FEED_WAIT_MS = 20_000;

/**
 * The next events of the order feed for a consumer, in sequence order. Asking for what follows
 * N acknowledges N (the outbox may then let go of everything up to it); events at or below the
 * furthest sequence the consumer was handed before come back marked redelivered. When nothing
 * follows yet, waits up to `waitMs` for the relay to release something (a long poll), so an
 * idle consumer costs one call per wait instead of one per poll.
 */
export async function readOrderFeed(deps: OrderFeedDependencies, request: OrderFeedRequest, signal?: AbortSignal): Promise<OrderFeedPage> {
  const { consumer, afterSequence } = request;
  if (!CONSUMER_NAME.test(consumer)) throw badUserInput('consumer', 'consumer must be 1-64 letters, digits, - or _.');
  if (!Number.isSafeInteger(afterSequence) || afterSequence < 0) throw badUserInput('afterSequence', 'afterSequence must be 0 or more.');
  if (!Number.isInteger(request.limit) || request.limit < 0 || request.limit > MAX_FEED_LIMIT) {
    throw badUserInput('limit', `limit must be between 1 and ${MAX_FEED_LIMIT} (0 for ${DEFAULT_LIMIT}).`);
  }
  if (!Number.isInteger(request.waitMs) || request.waitMs < 0 || request.waitMs > MAX_FEED_WAIT_MS) {
    throw badUserInput('waitMs', `waitMs must be between 0 and ${MAX_FEED_WAIT_MS}.`);
  }
  const limit = request.limit || DEFAULT_LIMIT;
  const { deliveredSequence } = await deps.outbox.acknowledge(consumer, afterSequence);
  const waitUntil = Date.now() + request.waitMs;
  let keepWaiting = true;
  for (;;) {
    const page = await deps.outbox.feedAfter(afterSequence, limit);
    const remaining = waitUntil - Date.now();
    if (page.events.length > 0 || remaining <= 0 || !keepWaiting) {
      const last = page.events.at(-1);
      // A call the consumer gave up on never reached it: those events are not delivered yet.
      if (last && last.sequence > deliveredSequence && !signal?.aborted) await deps.outbox.markDelivered(consumer, last.sequence);
      return {
        events: page.events.map((event) => ({ ...event, redelivered: event.sequence <= deliveredSequence })),
        headSequence: page.headSequence,
      };
    }
    keepWaiting = await deps.feedSignal.wait(Math.min(remaining, deps.pollMs), signal);
  }
}
