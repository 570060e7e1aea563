// Linted as subgraphs/orders/src/repositories/product-repository.ts: a repository using Prisma,
// which is what repositories are for.
import { PrismaPg } from '@prisma/adapter-pg';
export const adapter = PrismaPg;
