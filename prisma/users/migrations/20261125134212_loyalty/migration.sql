-- CreateEnum
CREATE TYPE "CustomerTier" AS ENUM ('STANDARD', 'SILVER', 'GOLD');

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "lifetime_spend_cents" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "tier" "CustomerTier" NOT NULL DEFAULT 'STANDARD';

-- CreateTable
CREATE TABLE "processed_events" (
    "id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_events_pkey" PRIMARY KEY ("id")
);
