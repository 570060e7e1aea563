import type { PrismaClient } from '../generated/prisma/client';

export interface PendingEvent {
  id: string;
  subject: string;
  payload: Uint8Array;
  traceparent: string | null;
}

/** One relay at a time publishes (across replicas too), so events leave in `seq` order. */
const RELAY_LOCK = 0x0fed5409;

/** Data access for the transactional outbox. */
export function createOutboxRepository(prisma: PrismaClient) {
  return {
    /**
     * Hands the oldest pending events (in order) to `publish`, which returns how many of them
     * the broker acknowledged; those are marked published in the same transaction. Returns
     * null when another relay holds the lock.
     */
    async publishPending(limit: number, publish: (events: PendingEvent[]) => Promise<number>): Promise<number | null> {
      return prisma.$transaction(
        async (tx) => {
          const lock = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}) AS locked`;
          if (!lock[0]?.locked) return null;
          const rows = await tx.$queryRaw<PendingEvent[]>`
            SELECT id, subject, payload, traceparent FROM outbox_events WHERE published_at IS NULL ORDER BY seq LIMIT ${limit}`;
          if (rows.length === 0) return 0;
          const acknowledged = await publish(rows);
          const done = rows.slice(0, acknowledged).map((row) => row.id);
          if (done.length > 0) {
            await tx.$executeRaw`UPDATE outbox_events SET published_at = now() WHERE id = ANY(${done}::uuid[])`;
          }
          const failed = rows[acknowledged];
          if (failed) await tx.$executeRaw`UPDATE outbox_events SET attempts = attempts + 1 WHERE id = ${failed.id}::uuid`;
          return done.length;
        },
        { maxWait: 5_000, timeout: 60_000 },
      );
    },

    /** How many events wait, and how long the oldest has waited (seconds; 0 when none). */
    async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
      const [row] = await prisma.$queryRaw<{ pending: number; oldest: number | null }[]>`
        SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float8 AS oldest
        FROM outbox_events WHERE published_at IS NULL`;
      return { pending: row?.pending ?? 0, oldestAgeSeconds: row?.oldest ?? 0 };
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
