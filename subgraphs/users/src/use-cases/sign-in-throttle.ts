import { createHash } from 'node:crypto';
import { rateLimited } from '@fedshop/shared/errors';
import type { Logger } from 'pino';
import type { SignInFailureRepository } from '../repositories/sign-in-failure-repository';

/** How sign-in slows down and locks after failures (README, Security). */
export interface SignInThrottlePolicy {
  /** Failures after which every attempt waits before its password is checked. Default 3. */
  delayAfter: number;
  /** The first wait; it doubles with each further failure, up to 16 times this. Default 500 ms. */
  delayMs: number;
  /** Failures that lock the email. Default 10. */
  lockAfter: number;
  /** How long a lock lasts, and how long a quiet period must be for failures to be forgotten. Default 900 s. */
  lockSeconds: number;
}

/** Time, injected so tests neither wait nor depend on the wall clock. */
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The wait before an attempt, given the failures so far: 0, then delayMs, 2×, 4×… capped at 16×. */
export function attemptDelayMs(failures: number, policy: Pick<SignInThrottlePolicy, 'delayAfter' | 'delayMs'>): number {
  if (failures < policy.delayAfter) return 0;
  return policy.delayMs * 2 ** Math.min(4, failures - policy.delayAfter);
}

/**
 * Emails are throttled whatever they are (an account's, nobody's, not even an address), after
 * the same normalization the account lookup uses, so the answers to repeated failures are the
 * same for every email and tell nothing about which ones exist.
 */
function emailHash(rawEmail: string): string {
  return createHash('sha256').update(rawEmail.slice(0, 1024).trim().toLowerCase()).digest('hex');
}

export interface SignInThrottle {
  /** Before a password is checked: RATE_LIMITED while the email is locked, else waits as long as its failures say. */
  beforeAttempt(rawEmail: string): Promise<void>;
  /** After a wrong password, an unknown or a malformed email alike. */
  recordFailure(rawEmail: string): Promise<void>;
  /** After the right password: the failures are forgotten. */
  recordSuccess(rawEmail: string): Promise<void>;
}

/**
 * Slows down, then locks, sign-in per email after repeated failures (the gateway's per-minute
 * credential buckets bound the rate; this bounds the total an attacker gets against one account).
 * A lock refuses even the right password until it ends: the price of a lockout is that someone
 * who knows an email can keep its owner out, which the gateway's per-address bucket limits.
 */
export function createSignInThrottle(
  failures: SignInFailureRepository,
  policy: SignInThrottlePolicy,
  clock: Clock,
  logger: Logger,
): SignInThrottle {
  let lastPurge = 0;
  const purgeQuietly = (now: Date) => {
    if (now.getTime() - lastPurge < policy.lockSeconds * 1000) return;
    lastPurge = now.getTime();
    failures
      .purge(new Date(now.getTime() - policy.lockSeconds * 1000), now)
      .catch((error: unknown) => logger.warn({ err: error }, 'could not purge old sign-in failures'));
  };
  return {
    async beforeAttempt(rawEmail) {
      const state = await failures.find(emailHash(rawEmail));
      if (!state) return;
      const now = clock.now();
      if (state.lockedUntil && state.lockedUntil > now) {
        const seconds = Math.ceil((state.lockedUntil.getTime() - now.getTime()) / 1000);
        throw rateLimited(`Too many failed sign-in attempts for this email; try again in ${Math.ceil(seconds / 60)} minute(s).`, seconds);
      }
      const expired = state.lockedUntil !== null;
      const delay = expired ? 0 : attemptDelayMs(state.failures, policy);
      if (delay > 0) await clock.sleep(delay);
    },
    async recordFailure(rawEmail) {
      const at = clock.now();
      const state = await failures.recordFailure(emailHash(rawEmail), {
        at,
        forgetBefore: new Date(at.getTime() - policy.lockSeconds * 1000),
        lockAfter: policy.lockAfter,
        lockUntil: new Date(at.getTime() + policy.lockSeconds * 1000),
      });
      // No email in the log: only that some email just got locked.
      if (state.lockedUntil && state.failures === policy.lockAfter)
        logger.warn({ failures: state.failures }, 'sign-in locked for an email after repeated failures');
      purgeQuietly(at);
    },
    async recordSuccess(rawEmail) {
      await failures.clear(emailHash(rawEmail));
    },
  };
}
