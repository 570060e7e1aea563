import type { PrismaClient } from '../generated/prisma/client';

/** Where an email stands after failed sign-ins. */
export interface SignInFailureState {
  failures: number;
  lockedUntil: Date | null;
}

export interface RecordFailureRules {
  /** When the failure happens. */
  at: Date;
  /** Failures before this instant are forgotten (a quiet period resets the count). */
  forgetBefore: Date;
  /** The failure that makes the count reach this locks the email… */
  lockAfter: number;
  /** …until then. */
  lockUntil: Date;
}

/** Failed sign-ins per email hash. Part of the users service's data layer: the only code here that talks to Prisma. */
export function createSignInFailureRepository(prisma: PrismaClient) {
  return {
    async find(emailHash: string): Promise<SignInFailureState | null> {
      const row = await prisma.signInFailure.findUnique({ where: { emailHash }, select: { failures: true, lockedUntil: true } });
      return row ? { failures: row.failures, lockedUntil: row.lockedUntil } : null;
    },

    /**
     * Counts one more failure, atomically (concurrent failures each count): the count restarts
     * at 1 after a quiet period or an expired lock, and reaching `lockAfter` sets the lock.
     */
    async recordFailure(emailHash: string, rules: RecordFailureRules): Promise<SignInFailureState> {
      const rows = await prisma.$queryRaw<{ failures: number; lockedUntil: Date | null }[]>`
        INSERT INTO sign_in_failures (email_hash, failures, last_failed_at, locked_until)
        VALUES (${emailHash}, 1, ${rules.at}::timestamptz, CASE WHEN 1 >= ${rules.lockAfter}::int THEN ${rules.lockUntil}::timestamptz END)
        ON CONFLICT (email_hash) DO UPDATE SET
          failures = CASE WHEN sign_in_failures.last_failed_at < ${rules.forgetBefore}::timestamptz OR sign_in_failures.locked_until <= ${rules.at}::timestamptz
                          THEN 1 ELSE sign_in_failures.failures + 1 END,
          last_failed_at = EXCLUDED.last_failed_at,
          locked_until = CASE WHEN (CASE WHEN sign_in_failures.last_failed_at < ${rules.forgetBefore}::timestamptz OR sign_in_failures.locked_until <= ${rules.at}::timestamptz
                                         THEN 1 ELSE sign_in_failures.failures + 1 END) >= ${rules.lockAfter}::int
                              THEN ${rules.lockUntil}::timestamptz END
        RETURNING failures, locked_until AS "lockedUntil"`;
      const row = rows[0]!;
      return { failures: Number(row.failures), lockedUntil: row.lockedUntil ? new Date(row.lockedUntil) : null };
    },

    async clear(emailHash: string): Promise<void> {
      await prisma.signInFailure.deleteMany({ where: { emailHash } });
    },

    /** Drops rows nobody needs any more (quiet and unlocked); returns how many. */
    async purge(forgetBefore: Date, now: Date): Promise<number> {
      const result = await prisma.signInFailure.deleteMany({
        where: { lastFailedAt: { lt: forgetBefore }, OR: [{ lockedUntil: null }, { lockedUntil: { lte: now } }] },
      });
      return result.count;
    },
  };
}

export type SignInFailureRepository = ReturnType<typeof createSignInFailureRepository>;
