import { z } from 'zod';
import { env } from '@fedshop/shared/config';

/**
 * The response cache's variables, spread into the gateway's config schema (gateway/src/config.ts
 * stays the one place the environment is read). docs/response-cache.md.
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

/** One line per variable for docs/configuration.md (scripts/generate-config-docs.ts). */
export const responseCacheEnvDescriptions: Record<keyof typeof responseCacheEnvSchema, string> = {
  RESPONSE_CACHE:
    "Caches whole query responses by their subgraphs' `@cacheControl` hints: in Redis when `REDIS_URL` is set (shared by replicas), else in memory. Purged by change events (docs/response-cache.md).",
  RESPONSE_CACHE_MAX_BYTES: "The in-memory store's bound, in bytes of entries; the least recently used go first.",
  RESPONSE_CACHE_MAX_ENTRY_BYTES: 'Largest entry written or served, in bytes; larger responses are served uncached.',
  RESPONSE_CACHE_MAX_AGE_CAP: "No entry lives longer than this, in seconds, whatever its subgraphs' max-age.",
  RESPONSE_CACHE_KEY_PREFIX: "Prefix of the response cache's Redis keys.",
  NATS_URL:
    "NATS: the gateway purges cached responses on the services' change events and broadcasts its own purges to the other replicas. Unset: only the writing replica purges at once.",
};

type ResponseCacheEnv = z.output<z.ZodObject<typeof responseCacheEnvSchema>> & { REDIS_URL?: string };

/** The response cache's settings (docs/response-cache.md). */
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
