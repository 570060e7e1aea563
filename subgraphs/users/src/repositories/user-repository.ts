import { Prisma, type PrismaClient } from '../generated/prisma/client';
import type { User as UserRow } from '../generated/prisma/client';
import type { User, UserStatus, UserWithCredentials } from '../domain/user';
import type { Role } from '@fedshop/shared/auth';

export type UsersPrisma = PrismaClient;

/** Raised when an email is already taken (unique index), mapped to CONFLICT by the use case. */
export class EmailTakenError extends Error {}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    status: row.status,
    lifetimeSpendCents: row.lifetimeSpendCents,
    tier: row.tier,
    createdAt: row.createdAt,
  };
}

/** Columns read for a User: everything but the password hash. */
const USER_COLUMNS = {
  id: true,
  email: true,
  name: true,
  role: true,
  status: true,
  lifetimeSpendCents: true,
  tier: true,
  createdAt: true,
} as const;

/** Data access for accounts. The only module of the users service that talks to Prisma. */
export function createUserRepository(prisma: UsersPrisma) {
  return {
    async findByIds(ids: readonly string[]): Promise<User[]> {
      if (ids.length === 0) return [];
      const rows = await prisma.user.findMany({ where: { id: { in: [...ids] } }, select: USER_COLUMNS });
      return rows.map((row) => ({ ...row }));
    },

    async findById(id: string): Promise<User | null> {
      const row = await prisma.user.findUnique({ where: { id }, select: USER_COLUMNS });
      return row ? { ...row } : null;
    },

    async findByEmailWithCredentials(email: string): Promise<UserWithCredentials | null> {
      const row = await prisma.user.findUnique({ where: { email } });
      return row ? { ...toUser(row), passwordHash: row.passwordHash } : null;
    },

    async create(data: { email: string; name: string; passwordHash: string; role?: Role }): Promise<User> {
      try {
        const row = await prisma.user.create({ data, select: USER_COLUMNS });
        return { ...row };
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') throw new EmailTakenError();
        throw error;
      }
    },

    /** Updates and returns the account, or null when it does not exist. */
    async update(id: string, data: { name?: string; status?: UserStatus; role?: Role }): Promise<User | null> {
      const result = await prisma.user.updateManyAndReturn({ where: { id }, data, select: USER_COLUMNS });
      return result[0] ? { ...result[0] } : null;
    },

    /** Deletes the account; false when it did not exist. */
    async delete(id: string): Promise<boolean> {
      const result = await prisma.user.deleteMany({ where: { id } });
      return result.count === 1;
    },

    /** A page in id order (UUIDv7, so creation order), `limit + 1` rows to tell if more follow. */
    async listPage(limit: number, afterId: string | null): Promise<User[]> {
      const rows = await prisma.user.findMany({
        where: afterId ? { id: { gt: afterId } } : {},
        orderBy: { id: 'asc' },
        take: limit + 1,
        select: USER_COLUMNS,
      });
      return rows.map((row) => ({ ...row }));
    },

    count(): Promise<number> {
      return prisma.user.count();
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
