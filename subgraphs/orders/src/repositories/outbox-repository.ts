import type { PrismaClient } from '../generated/prisma/client';

export interface PendingEvent {
  id: string;
  subject: string;
  payload: Uint8Array;
  traceparent: string | null;
}

/** An event of the feed, as `ListOrderEvents` hands it out. */
export interface FeedEvent {
  sequence: number;
  id: string;
  subject: string;
  payload: Uint8Array;
  traceparent: string | null;
  recordedAt: Date;
}

/** One relay at a time releases events (across replicas too), so they leave in `seq` order. */
const RELAY_LOCK = 0x0fed5409;

/**
 * Data access for the transactional outbox and the feed it is read as: the relay releases
 * pending events (publishing them to JetStream first when a broker is configured) and numbers
 * them `feed_sequence`; feed consumers read them in that order and acknowledge their position.
 */
export function createOutboxRepository(prisma: PrismaClient) {
  return {
    /**
     * Releases the oldest pending events, in order. With `publish` (JetStream), it hands them to
     * it and releases only the ones it says the broker acknowledged (it returns how many); without,
     * all of them. Released events are marked published and numbered into the feed in the same
     * transaction, under a lock: each batch is numbered after the previous one committed, so a
     * feed reader that sees sequence N already sees every lower one. Returns how many were
     * released, or null when another relay holds the lock.
     */
    async releasePending(limit: number, publish?: (events: PendingEvent[]) => Promise<number>): Promise<number | null> {
      return prisma.$transaction(
        async (tx) => {
          const lock = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}) AS locked`;
          if (!lock[0]?.locked) return null;
          const rows = await tx.$queryRaw<PendingEvent[]>`
            SELECT id, subject, payload, traceparent FROM outbox_events WHERE published_at IS NULL ORDER BY seq LIMIT ${limit}`;
          if (rows.length === 0) return 0;
          const acknowledged = publish ? await publish(rows) : rows.length;
          const done = rows.slice(0, acknowledged).map((row) => row.id);
          if (done.length > 0) {
            // The newest released event is never deleted (prune), so the numbering never restarts.
            await tx.$executeRaw`
              WITH head AS (SELECT coalesce(max(feed_sequence), 0) AS n FROM outbox_events),
              numbered AS (SELECT id, row_number() OVER (ORDER BY seq) AS k FROM outbox_events WHERE id = ANY(${done}::uuid[]))
              UPDATE outbox_events AS o SET published_at = now(), feed_sequence = head.n + numbered.k
              FROM head, numbered WHERE o.id = numbered.id`;
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

    /** The released events after `afterSequence`, oldest first, and the newest sequence of the feed (0 while empty). */
    async feedAfter(afterSequence: number, limit: number): Promise<{ events: FeedEvent[]; headSequence: number }> {
      const rows = await prisma.$queryRaw<(Omit<FeedEvent, 'sequence'> & { sequence: bigint })[]>`
        SELECT feed_sequence AS sequence, id, subject, payload, traceparent, created_at AS "recordedAt"
        FROM outbox_events WHERE feed_sequence > ${afterSequence} ORDER BY feed_sequence LIMIT ${limit}`;
      const events = rows.map((row) => ({ ...row, sequence: Number(row.sequence) }));
      const last = events.at(-1)?.sequence;
      // An answer with events ends at the head unless it was cut by the limit: only then ask.
      if (last !== undefined && events.length < limit) return { events, headSequence: last };
      const [head] = await prisma.$queryRaw<{ n: bigint | null }[]>`SELECT max(feed_sequence) AS n FROM outbox_events`;
      return { events, headSequence: Math.max(Number(head?.n ?? 0), last ?? 0) };
    },

    /**
     * Records that `consumer` asked for what follows `acknowledgedSequence` (so it has applied
     * everything up to it) and returns the furthest sequence it had been handed before.
     */
    async acknowledge(consumer: string, acknowledgedSequence: number): Promise<{ deliveredSequence: number }> {
      const [row] = await prisma.$queryRaw<{ delivered: bigint }[]>`
        INSERT INTO outbox_consumers (name, acknowledged_sequence, delivered_sequence, seen_at)
        VALUES (${consumer}, ${acknowledgedSequence}, 0, now())
        ON CONFLICT (name) DO UPDATE SET acknowledged_sequence = excluded.acknowledged_sequence, seen_at = now()
        RETURNING delivered_sequence AS delivered`;
      return { deliveredSequence: Number(row?.delivered ?? 0) };
    },

    /** Records that `consumer` has now been handed everything up to `sequence`. */
    async markDelivered(consumer: string, sequence: number): Promise<void> {
      await prisma.$executeRaw`
        UPDATE outbox_consumers SET delivered_sequence = greatest(delivered_sequence, ${sequence}) WHERE name = ${consumer}`;
    },

    /** Each feed consumer and how many released events it has not acknowledged yet. */
    async consumerLags(): Promise<{ consumer: string; lag: number }[]> {
      const rows = await prisma.$queryRaw<{ consumer: string; lag: bigint }[]>`
        SELECT c.name AS consumer, greatest(0, coalesce(h.n, 0) - c.acknowledged_sequence) AS lag
        FROM outbox_consumers AS c CROSS JOIN (SELECT max(feed_sequence) AS n FROM outbox_events) AS h`;
      return rows.map((row) => ({ consumer: row.consumer, lag: Number(row.lag) }));
    },

    /**
     * Deletes released events older than `retentionSeconds` that every consumer heard from
     * within that time has acknowledged, at most `limit` of them, and forgets consumers silent
     * for longer. Pending events and the newest released one are never deleted. Returns how
     * many events went.
     */
    async prune(retentionSeconds: number, limit: number): Promise<number> {
      await prisma.$executeRaw`DELETE FROM outbox_consumers WHERE seen_at < now() - make_interval(secs => ${retentionSeconds}::float8)`;
      return prisma.$executeRaw`
        DELETE FROM outbox_events WHERE id IN (
          SELECT id FROM outbox_events
          WHERE feed_sequence < (SELECT max(feed_sequence) FROM outbox_events)
            AND feed_sequence <= coalesce((SELECT min(acknowledged_sequence) FROM outbox_consumers), 9223372036854775807)
            AND created_at < now() - make_interval(secs => ${retentionSeconds}::float8)
          ORDER BY feed_sequence LIMIT ${limit})`;
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
