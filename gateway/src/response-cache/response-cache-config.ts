import { z } from 'zod';
import { env } from '@fedshop/shared/config';

/**
 * The response cache's variables, spread into the gateway's config schema (gateway/src/config.ts
 * stays the one place the environment is read). README, Response cache.
 */
export const responseCacheEnvSchema = {
  /** Cache whole query responses by their subgraphs' cache hints (default false). Redis when REDIS_URL is set, else memory. */
  RESPONSE_CACHE: env.boolean(false),
  /** The in-memory store's bound, bytes of entries (64 MiB; least recently used out first). */
  RESPONSE_CACHE_MAX_BYTES: env.positiveInt(64 * 1024 * 1024),
  /** Largest entry written or served, bytes (512 KiB); larger responses are served uncached. */
  RESPONSE_CACHE_MAX_ENTRY_BYTES: env.positiveInt(512 * 1024),
  /** No entry lives longer than this, s, whatever its subgraphs' max-age (300). */
  RESPONSE_CACHE_MAX_AGE_CAP: env.positiveInt(300),
  /** Prefix of the cache's Redis keys (`fedshop:rc`). */
  RESPONSE_CACHE_KEY_PREFIX: z.string().min(1).default('fedshop:rc'),
  /** NATS with JetStream: the gateway purges cached responses on the services' change events; unset: only the writing replica purges. */
  NATS_URL: z
    .string()
    .regex(/^(nats|tls|ws|wss):\/\//, { message: 'must be a nats://, tls://, ws:// or wss:// URL' })
    .optional(),
};

type ResponseCacheEnv = z.output<z.ZodObject<typeof responseCacheEnvSchema>> & { REDIS_URL?: string };

/** The response cache's settings (README, Response cache). */
export function responseCacheConfig(raw: ResponseCacheEnv) {
  return {
    enabled: raw.RESPONSE_CACHE,
    /** Shared by replicas when set (the rate limiter's REDIS_URL). */
    redisUrl: raw.REDIS_URL,
    maxBytes: raw.RESPONSE_CACHE_MAX_BYTES,
    maxEntryBytes: raw.RESPONSE_CACHE_MAX_ENTRY_BYTES,
    maxAgeCapSeconds: raw.RESPONSE_CACHE_MAX_AGE_CAP,
    keyPrefix: raw.RESPONSE_CACHE_KEY_PREFIX,
    natsUrl: raw.NATS_URL,
  };
}

export type ResponseCacheConfig = ReturnType<typeof responseCacheConfig>;
