import type { Prisma, PrismaClient } from '../generated/prisma/client';

/**
 * One event's step through the orders feed: applying (or parking, or skipping) the event at
 * sequence `to` moves the consumer's cursor there from `from`, in the same transaction.
 */
export interface FeedStep {
  consumer: string;
  from: number;
  to: number;
}

/**
 * The cursor was not where this consumer left it: another replica of the users service read
 * the same feed and got there first. Nothing was written; read the cursor again and go on
 * from there.
 */
export class FeedCursorMovedError extends Error {
  override readonly name = 'FeedCursorMovedError';
  constructor(step: FeedStep) {
    super(`feed cursor ${step.consumer} is no longer at ${step.from}`);
  }
}

/**
 * Moves the cursor inside the caller's transaction, only from where the consumer believes it
 * is: two replicas reading the same feed then never both apply an event (the second one's
 * transaction finds the cursor moved and rolls back).
 */
export async function moveFeedCursor(tx: Prisma.TransactionClient, step: FeedStep): Promise<void> {
  const moved = await tx.$executeRaw`
    UPDATE event_feed_cursors SET position = ${step.to}, updated_at = now()
    WHERE consumer = ${step.consumer} AND position = ${step.from}`;
  if (moved !== 1) throw new FeedCursorMovedError(step);
}

/** Data access for the feed consumers' cursors (the sequence of the last event each one handled). */
export function createEventFeedCursorRepository(prisma: PrismaClient) {
  return {
    /** Where the consumer stands (0 for a new one, whose row is created). */
    async position(consumer: string): Promise<number> {
      const [row] = await prisma.$queryRaw<{ position: bigint }[]>`
        INSERT INTO event_feed_cursors (consumer, position) VALUES (${consumer}, 0)
        ON CONFLICT (consumer) DO UPDATE SET consumer = excluded.consumer
        RETURNING position`;
      return Number(row!.position);
    },

    /** Moves the cursor back to 0 from `from` (the feed was replaced); no-op when it is elsewhere already. */
    async rewind(consumer: string, from: number): Promise<void> {
      await prisma.$executeRaw`UPDATE event_feed_cursors SET position = 0, updated_at = now() WHERE consumer = ${consumer} AND position = ${from}`;
    },

    /** Moves past an event that needs nothing done (one this consumer does not handle). */
    async skip(step: FeedStep): Promise<void> {
      await prisma.$transaction((tx) => moveFeedCursor(tx, step));
    },
  };
}

export type EventFeedCursorRepository = ReturnType<typeof createEventFeedCursorRepository>;
