import type Redis from 'ioredis';
import type { Logger } from 'pino';

/** How long a registered operation is kept when Apollo Server gives no `ttl` (a day). */
const PERSISTED_QUERY_TTL_SECONDS = 24 * 60 * 60;

/** Apollo Server's `persistedQueries.cache` (its KeyValueCache interface). */
export interface PersistedQueryCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean>;
}

export interface RedisPersistedQueryCacheOptions {
  /** A connection that fails commands at once while Redis is down (the rate-limit store's). */
  redis: Redis;
  /** Prefix of every key (one namespace per deployment on a shared Redis). */
  keyPrefix: string;
  logger: Logger;
}

/**
 * Automatic persisted queries shared by every gateway replica: an operation registered through
 * one replica (hash and text) is found by the hash alone on any other, as a client behind a
 * load balancer expects. Without it each replica kept its own cache and a client whose next
 * request landed elsewhere got PERSISTED_QUERY_NOT_FOUND again.
 *
 * Redis trouble never fails a request: a lookup that cannot be answered is a miss (the client
 * sends the text again, as the APQ protocol has it) and a registration that cannot be stored is
 * dropped; one warning per 10 s says so.
 */
export function createRedisPersistedQueryCache(options: RedisPersistedQueryCacheOptions): PersistedQueryCache {
  const { redis, keyPrefix, logger } = options;
  const key = (name: string) => `${keyPrefix}:${name}`;
  let lastWarning = 0;
  const degraded = (operation: string, error: unknown) => {
    if (Date.now() - lastWarning < 10_000) return;
    lastWarning = Date.now();
    logger.warn({ err: error, operation }, 'persisted-query cache (Redis) unavailable; clients resend operation texts meanwhile');
  };
  return {
    async get(name) {
      try {
        return (await redis.get(key(name))) ?? undefined;
      } catch (error) {
        degraded('get', error);
        return undefined;
      }
    },
    async set(name, value, setOptions) {
      const ttl = setOptions?.ttl;
      try {
        // `ttl: null` is Apollo's "never expire"; no ttl at all gets the default.
        if (ttl === null) await redis.set(key(name), value);
        else await redis.set(key(name), value, 'EX', Math.max(1, Math.ceil(ttl ?? PERSISTED_QUERY_TTL_SECONDS)));
      } catch (error) {
        degraded('set', error);
      }
    },
    async delete(name) {
      try {
        return (await redis.del(key(name))) > 0;
      } catch (error) {
        degraded('delete', error);
        return false;
      }
    },
  };
}
