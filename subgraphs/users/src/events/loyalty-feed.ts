import { createAsyncEventQueue, type AsyncEventQueue, type LiveFeed } from '@fedshop/shared/live-events';

/** The live feed's subject: every users replica hears every loyalty change (README, Subscriptions). */
export const LOYALTY_SUBJECT = 'fedshop.live.users.v1.loyalty';

/** One committed change of an account's lifetime spend (and so maybe its tier). */
export interface LoyaltyChangeMessage {
  /** The order event that caused it. */
  eventId: string;
  userId: string;
  /** The W3C trace context of the order write behind it. */
  traceparent?: string;
}

/** Event ids a watch remembers, so a change is never delivered twice to it. */
const REMEMBERED_EVENTS = 1_000;

export interface LoyaltyFeed {
  /** Tells every replica about a change the loyalty consumer just committed. */
  publishCommitted(change: LoyaltyChangeMessage): void;
  /** One account's loyalty changes from now on; bounded (overflow ends it). */
  watch(userId: string): AsyncEventQueue<LoyaltyChangeMessage>;
  close(): Promise<void>;
}

/**
 * The users subgraph's side of `myLoyaltyChanged`: changes come in from the live feed (the
 * replica whose consumer committed an order event publishes it) and go to the watches of the
 * account on this replica.
 */
export function createLoyaltyFeed(options: { live: LiveFeed<LoyaltyChangeMessage>; capacity: number }): LoyaltyFeed {
  const byUser = new Map<string, Set<(change: LoyaltyChangeMessage) => void>>();
  const stopListening = options.live.listen((change) => {
    for (const deliver of byUser.get(change.userId) ?? []) deliver(change);
  });
  return {
    publishCommitted: (change) => options.live.publish(change),
    watch(userId) {
      const seen = new Set<string>();
      let listeners = byUser.get(userId);
      if (!listeners) byUser.set(userId, (listeners = new Set()));
      const deliver = (change: LoyaltyChangeMessage) => {
        if (seen.has(change.eventId)) return;
        seen.add(change.eventId);
        if (seen.size > REMEMBERED_EVENTS) seen.delete(seen.values().next().value!);
        queue.push(change);
      };
      const queue = createAsyncEventQueue<LoyaltyChangeMessage>({
        capacity: options.capacity,
        onReturn: () => {
          listeners.delete(deliver);
          if (listeners.size === 0) byUser.delete(userId);
        },
      });
      listeners.add(deliver);
      return queue;
    },
    async close() {
      stopListening();
      await options.live.close();
    },
  };
}
