-- AlterTable
ALTER TABLE "outbox_events" ADD COLUMN     "feed_sequence" BIGINT;

-- CreateTable
CREATE TABLE "outbox_consumers" (
    "name" VARCHAR(64) NOT NULL,
    "acknowledged_sequence" BIGINT NOT NULL DEFAULT 0,
    "delivered_sequence" BIGINT NOT NULL DEFAULT 0,
    "seen_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "outbox_consumers_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_events_feed_sequence_key" ON "outbox_events"("feed_sequence");

-- Events released before the feed existed join it in release order, so a consumer that starts
-- reading from 0 sees the whole history the outbox still holds (processed event ids make the
-- ones it already had through JetStream change nothing).
UPDATE "outbox_events" AS o SET "feed_sequence" = numbered.n
FROM (SELECT "id", row_number() OVER (ORDER BY "seq") AS n FROM "outbox_events" WHERE "published_at" IS NOT NULL) AS numbered
WHERE o."id" = numbered."id";
