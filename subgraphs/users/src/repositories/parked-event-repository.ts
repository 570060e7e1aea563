import type { PrismaClient } from '../generated/prisma/client';
import type { EventTransport } from '@fedshop/shared/events';
import { moveFeedCursor, type FeedStep } from './event-feed-cursor-repository';

/** An event set aside because it could not be applied. */
export interface ParkedEventEntry {
  /** The event id, or the broker's message id when the payload could not be read. */
  messageId: string;
  transport: EventTransport;
  subject: string;
  payload: Uint8Array;
  sequence: number | undefined;
  reason: string;
  attempts: number;
  traceparent: string | undefined;
}

/** Data access for parked events: kept with their payload, to be looked at and replayed. */
export function createParkedEventRepository(prisma: PrismaClient) {
  return {
    /**
     * Parks the event, moving the feed cursor past it in the same transaction when it came from
     * the feed. Parking the same message again changes nothing (returns false): a redelivery
     * after a crash between parking and acknowledging.
     */
    async park(entry: ParkedEventEntry, step?: FeedStep): Promise<boolean> {
      return prisma.$transaction(async (tx) => {
        if (step) await moveFeedCursor(tx, step);
        const parked = await tx.$executeRaw`
          INSERT INTO parked_events (message_id, transport, subject, payload, sequence, reason, attempts, traceparent)
          VALUES (${entry.messageId}, ${entry.transport}, ${entry.subject}, ${entry.payload}, ${entry.sequence ?? null}::bigint,
                  ${entry.reason}, ${entry.attempts}, ${entry.traceparent ?? null})
          ON CONFLICT (message_id) DO NOTHING`;
        return parked === 1;
      });
    },

    /** How many events are parked. */
    async count(): Promise<number> {
      const [row] = await prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM parked_events`;
      return row?.n ?? 0;
    },
  };
}

export type ParkedEventRepository = ReturnType<typeof createParkedEventRepository>;
