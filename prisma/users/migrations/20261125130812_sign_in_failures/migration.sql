-- CreateTable
CREATE TABLE "sign_in_failures" (
    "email_hash" VARCHAR(64) NOT NULL,
    "failures" INTEGER NOT NULL,
    "last_failed_at" TIMESTAMPTZ(3) NOT NULL,
    "locked_until" TIMESTAMPTZ(3),

    CONSTRAINT "sign_in_failures_pkey" PRIMARY KEY ("email_hash")
);

-- CreateIndex
CREATE INDEX "sign_in_failures_last_failed_at_idx" ON "sign_in_failures"("last_failed_at");
