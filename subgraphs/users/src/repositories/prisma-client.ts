import { PrismaPg } from '@prisma/adapter-pg';
import type { Pool } from 'pg';
import { PrismaClient } from '../generated/prisma/client';

/**
 * The Prisma client every repository of this service shares, over the service's own pool
 * (opened and migrated by @fedshop/shared/database), so Prisma and the raw statements share
 * one set of connections and one pool-size budget. Only repositories see Prisma.
 */
export function createPrismaClient(pool: Pool): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}
