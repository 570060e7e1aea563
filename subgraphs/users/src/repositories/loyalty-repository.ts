import type { PrismaClient } from '../generated/prisma/client';
import { TIER_THRESHOLDS } from '../domain/customer-tier';
import { moveFeedCursor, type FeedStep } from './event-feed-cursor-repository';

const GOLD = TIER_THRESHOLDS.find((t) => t.tier === 'GOLD')!.fromCents;
const SILVER = TIER_THRESHOLDS.find((t) => t.tier === 'SILVER')!.fromCents;

/** Data access for loyalty: lifetime spend, tier, and the ids of events already applied. */
export function createLoyaltyRepository(prisma: PrismaClient) {
  return {
    /**
     * Adds `deltaCents` to the user's lifetime spend and recomputes the tier, in one
     * transaction with recording `eventId` as processed and, for an event from the feed, with
     * moving the feed cursor past it. An event id seen before changes nothing (returns false):
     * redeliveries and duplicate publications are harmless.
     */
    async applyOnce(eventId: string, userId: string, deltaCents: number, step?: FeedStep): Promise<boolean> {
      return prisma.$transaction(async (tx) => {
        if (step) await moveFeedCursor(tx, step);
        const recorded = await tx.$executeRaw`
          INSERT INTO processed_events (id) VALUES (${eventId}::uuid) ON CONFLICT (id) DO NOTHING`;
        if (recorded === 0) return false;
        // Sums commute, so events applied out of order (a cancellation before its placement) end right.
        await tx.$executeRaw`
          UPDATE users SET
            lifetime_spend_cents = lifetime_spend_cents + ${deltaCents},
            tier = (CASE
              WHEN lifetime_spend_cents + ${deltaCents} >= ${GOLD} THEN 'GOLD'
              WHEN lifetime_spend_cents + ${deltaCents} >= ${SILVER} THEN 'SILVER'
              ELSE 'STANDARD' END)::"CustomerTier",
            updated_at = now()
          WHERE id = ${userId}::uuid`;
        return true;
      });
    },
  };
}

export type LoyaltyRepository = ReturnType<typeof createLoyaltyRepository>;
