-- CreateTable
CREATE TABLE "event_feed_cursors" (
    "consumer" VARCHAR(64) NOT NULL,
    "position" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "event_feed_cursors_pkey" PRIMARY KEY ("consumer")
);

-- CreateTable
CREATE TABLE "parked_events" (
    "message_id" VARCHAR(100) NOT NULL,
    "transport" VARCHAR(20) NOT NULL,
    "subject" VARCHAR(100) NOT NULL,
    "payload" BYTEA NOT NULL,
    "sequence" BIGINT,
    "reason" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "traceparent" VARCHAR(55),
    "parked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "parked_events_pkey" PRIMARY KEY ("message_id")
);
