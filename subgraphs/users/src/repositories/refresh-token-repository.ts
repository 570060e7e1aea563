import type { PrismaClient } from '../generated/prisma/client';

/** Why a presented refresh token was not exchanged. */
export type RefreshRefusal = 'unknown' | 'expired' | 'revoked' | 'reused';

export type RotationResult = { ok: true; userId: string; familyId: string } | { ok: false; reason: RefreshRefusal; familyId?: string };

/**
 * Refresh tokens, by hash only (security/refresh-token.ts). The only module that touches the
 * refresh_tokens table.
 */
export function createRefreshTokenRepository(prisma: PrismaClient) {
  return {
    async create(data: { tokenHash: string; familyId: string; userId: string; expiresAt: Date }): Promise<void> {
      await prisma.refreshToken.create({ data });
    },

    /**
     * Spends `presentedHash` and stores `next` in the same family, in one transaction. The
     * spend is one conditional UPDATE, so of two concurrent refreshes with the same token only
     * one succeeds; the other finds it used, which is reuse, and the family is revoked. A
     * refusal writes nothing but that revocation.
     */
    async rotate(presentedHash: string, next: { tokenHash: string; expiresAt: Date }, now: Date): Promise<RotationResult> {
      return prisma.$transaction(async (tx) => {
        const spent = await tx.refreshToken.updateManyAndReturn({
          where: { tokenHash: presentedHash, usedAt: null, revokedAt: null, expiresAt: { gt: now } },
          data: { usedAt: now },
          select: { userId: true, familyId: true },
        });
        const row = spent[0];
        if (row) {
          await tx.refreshToken.create({ data: { ...next, familyId: row.familyId, userId: row.userId } });
          return { ok: true, userId: row.userId, familyId: row.familyId };
        }
        const existing = await tx.refreshToken.findUnique({
          where: { tokenHash: presentedHash },
          select: { familyId: true, usedAt: true, revokedAt: true },
        });
        if (!existing) return { ok: false, reason: 'unknown' };
        if (existing.revokedAt) return { ok: false, reason: 'revoked', familyId: existing.familyId };
        if (existing.usedAt) {
          await tx.refreshToken.updateMany({ where: { familyId: existing.familyId, revokedAt: null }, data: { revokedAt: now } });
          return { ok: false, reason: 'reused', familyId: existing.familyId };
        }
        return { ok: false, reason: 'expired', familyId: existing.familyId };
      });
    },

    /** Revokes the family `tokenHash` belongs to; false when no such token exists. */
    async revokeFamilyOf(tokenHash: string, now: Date): Promise<boolean> {
      const row = await prisma.refreshToken.findUnique({ where: { tokenHash }, select: { familyId: true } });
      if (!row) return false;
      await prisma.refreshToken.updateMany({ where: { familyId: row.familyId, revokedAt: null }, data: { revokedAt: now } });
      return true;
    },

    /** Revokes every session of an account (suspension). */
    async revokeAllOfUser(userId: string, now: Date): Promise<number> {
      const result = await prisma.refreshToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
      return result.count;
    },
  };
}

export type RefreshTokenRepository = ReturnType<typeof createRefreshTokenRepository>;
