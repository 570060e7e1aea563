// Linted as subgraphs/orders/src/use-cases/place-order.ts: a use case using Prisma directly.
import { PrismaPg } from '@prisma/adapter-pg';
export const adapter = PrismaPg;
