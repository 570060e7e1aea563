import { createHash } from 'node:crypto';
import { AppError, rateLimited } from '@fedshop/shared/errors';
import type { Logger } from 'pino';
import { addressBucketKey } from './client-address';
import type { EdgeMetrics } from './edge-metrics';
import type { BucketRequest, BucketState, RateLimitStore } from './rate-limit-store';
import { rejection } from './rejection';

export interface RateLimitOptions {
  /** Requests per minute per client address without a (valid) token; 0 = no limit. Default 300. */
  anonymousPerMinute: number;
  /** Requests per minute per signed-in user (verified token); 0 = no limit. Default 1200. */
  userPerMinute: number;
  /** signIn/signUp fields per minute, per client address and per email; 0 = no limit. Default 10. */
  authPerMinute: number;
  /** Refuse requests (503) when the store cannot answer, instead of letting them through; default false. */
  failClosed: boolean;
  /** Prefix of every bucket key (one namespace per deployment on a shared Redis). */
  keyPrefix: string;
}

/** The outcome of a check, for the RateLimit-* headers. */
export interface RateLimitDecision {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

export interface RateLimiter {
  /**
   * Takes one token from the caller's request bucket: the user's when the token was verified,
   * else the client address's. Resolves to what the headers should say (null: no limit
   * applies); rejects with a 429 GraphQLError (RATE_LIMITED) when the bucket is empty.
   */
  checkRequest(caller: { userId: string | null; address: string }): Promise<RateLimitDecision | null>;
  /**
   * Takes one token per signIn/signUp field from the address's credential bucket and from the
   * bucket of each email named (credential stuffing is slowed per source and per target).
   */
  checkCredentialAttempts(address: string, emails: (string | null)[]): Promise<RateLimitDecision | null>;
}

const BUCKET_LABEL = { anonymous: 'anonymous', user: 'user', authAddress: 'auth_address', authEmail: 'auth_email' } as const;
type BucketKind = keyof typeof BUCKET_LABEL;

/** The standard headers (IETF draft "RateLimit header fields for HTTP"), plus Retry-After when refused. */
export function rateLimitHeaders(decision: RateLimitDecision, retryAfterSeconds?: number): Record<string, string> {
  return {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': String(decision.resetSeconds),
    'ratelimit-policy': `${decision.limit};w=60`,
    ...(retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {}),
  };
}

/** Emails are counted lower-cased and trimmed (as the users service compares them), hashed so keys hold no addresses. */
function emailKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 32);
}

/**
 * Token buckets per identity at the gateway. Every bucket holds a minute's budget and refills
 * continuously, so short bursts pass and a sustained rate above the budget is refused.
 */
export function createRateLimiter(options: RateLimitOptions, store: RateLimitStore, logger: Logger, metrics: EdgeMetrics): RateLimiter {
  let lastFailureLog = 0;
  let failuresSinceLog = 0;

  const take = async (requests: (BucketRequest & { kind: BucketKind })[]): Promise<RateLimitDecision | null> => {
    if (requests.length === 0) return null;
    let result;
    try {
      result = await store.take(requests);
    } catch (error) {
      metrics.rateLimitStoreFailures.inc({ outcome: options.failClosed ? 'refused' : 'allowed' });
      failuresSinceLog += 1;
      // One line per 10 s at most: a Redis outage must not turn into one log line per request.
      if (Date.now() - lastFailureLog > 10_000) {
        logger.warn(
          { err: error, failures: failuresSinceLog, failClosed: options.failClosed },
          options.failClosed ? 'rate-limit store unavailable: refusing requests' : 'rate-limit store unavailable: requests pass unchecked',
        );
        lastFailureLog = Date.now();
        failuresSinceLog = 0;
      }
      if (!options.failClosed) return null;
      throw rejection(
        new AppError('SERVICE_UNAVAILABLE', 'The request rate cannot be checked right now, try again shortly.', { retryable: true }),
        503,
        { 'retry-after': '1' },
      );
    }
    // The bucket with the least room left speaks for the request.
    const tightest = (states: BucketState[]) =>
      states.reduce((worst, state) => (state.remaining / state.capacity < worst.remaining / worst.capacity ? state : worst));
    if (result.allowed) {
      const state = tightest(result.buckets);
      return { limit: state.capacity, remaining: state.remaining, resetSeconds: Math.ceil(state.resetMs / 1000) };
    }
    const refusedIndex = result.buckets.reduce(
      (longest, state, i) => (state.retryAfterMs > result.buckets[longest]!.retryAfterMs ? i : longest),
      0,
    );
    const refused = result.buckets[refusedIndex]!;
    metrics.rateLimited.inc({ bucket: BUCKET_LABEL[requests[refusedIndex]!.kind] });
    const retryAfterSeconds = Math.max(1, Math.ceil(refused.retryAfterMs / 1000));
    const decision = { limit: refused.capacity, remaining: refused.remaining, resetSeconds: Math.ceil(refused.resetMs / 1000) };
    throw rejection(
      rateLimited(`Too many requests; try again in ${retryAfterSeconds} s.`, retryAfterSeconds, { limit: refused.capacity }),
      429,
      rateLimitHeaders(decision, retryAfterSeconds),
    );
  };

  const key = (...parts: string[]) => [options.keyPrefix, ...parts].join(':');

  return {
    checkRequest(caller) {
      const requests: (BucketRequest & { kind: BucketKind })[] = [];
      if (caller.userId !== null && options.userPerMinute > 0) {
        requests.push({ kind: 'user', key: key('user', caller.userId), capacity: options.userPerMinute, cost: 1 });
      } else if (caller.userId === null && options.anonymousPerMinute > 0) {
        requests.push({
          kind: 'anonymous',
          key: key('ip', addressBucketKey(caller.address)),
          capacity: options.anonymousPerMinute,
          cost: 1,
        });
      }
      return take(requests);
    },
    checkCredentialAttempts(address, emails) {
      if (options.authPerMinute === 0 || emails.length === 0) return Promise.resolve(null);
      const perEmail = new Map<string, number>();
      for (const email of emails) {
        if (email !== null) perEmail.set(emailKey(email), (perEmail.get(emailKey(email)) ?? 0) + 1);
      }
      return take([
        { kind: 'authAddress', key: key('auth-ip', addressBucketKey(address)), capacity: options.authPerMinute, cost: emails.length },
        ...[...perEmail].map(([hash, cost]) => ({
          kind: 'authEmail' as const,
          key: key('auth-email', hash),
          capacity: options.authPerMinute,
          cost,
        })),
      ]);
    },
  };
}
