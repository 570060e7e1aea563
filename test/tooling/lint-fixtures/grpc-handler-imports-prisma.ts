// Linted as subgraphs/users/src/grpc/user-service.ts: a transport using Prisma directly.
import { PrismaClient } from '../generated/prisma/client';
export const client = PrismaClient;
