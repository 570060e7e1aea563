import path from 'node:path';
import { z } from 'zod';
import { env } from '@fedshop/shared/config';
import { parseTrustedProxies } from './client-address';

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** A per-minute budget; 0 switches that bucket off. */
const perMinute = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

/**
 * The gateway's edge-protection variables, spread into its config schema (gateway/src/config.ts
 * stays the one place the environment is read). Every default is documented in the README's
 * Security section, with the reasoning behind it.
 */
export const edgeEnvSchema = {
  /** Redis shared by every gateway replica for rate-limit buckets and APQ registrations; unset: both live in memory. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, { message: 'must be a redis:// or rediss:// URL' })
    .optional(),
  /** Comma-separated IPs / CIDRs of proxies whose X-Forwarded-For is believed; default none. */
  TRUSTED_PROXIES: z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        return parseTrustedProxies(value ?? '');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  RATE_LIMIT_ANON_PER_MIN: perMinute(300),
  RATE_LIMIT_USER_PER_MIN: perMinute(1200),
  RATE_LIMIT_AUTH_PER_MIN: perMinute(10),
  RATE_LIMIT_FAIL_CLOSED: env.boolean(false),
  RATE_LIMIT_KEY_PREFIX: z.string().default('fedshop:ratelimit'),
  OPERATION_MAX_BYTES: env.positiveInt(32 * 1024),
  OPERATION_MAX_TOKENS: env.positiveInt(1_000),
  OPERATION_MAX_DEPTH: env.positiveInt(10),
  OPERATION_MAX_ALIASES: z.coerce.number().int().min(0).default(15),
  OPERATION_MAX_ROOT_FIELDS: env.positiveInt(10),
  OPERATION_MAX_COST: env.positiveInt(10_000),
  OPERATION_ASSUMED_LIST_SIZE: env.positiveInt(10),
  PERSISTED_QUERIES: z.enum(['apq', 'safelist', 'off']).default('apq'),
  PERSISTED_QUERIES_MANIFEST: z.string().default(path.join(REPO_ROOT, 'clients', 'persisted-query-manifest.json')),
  PERSISTED_QUERIES_KEY_PREFIX: z.string().default('fedshop:apq'),
  FIELD_SUGGESTIONS: z.enum(['true', 'false']).optional(),
};

type EdgeEnv = z.output<z.ZodObject<typeof edgeEnvSchema>>;

/** The edge settings the gateway is built with (see README, Security). */
export function edgeConfig(raw: EdgeEnv, production: boolean) {
  return {
    redisUrl: raw.REDIS_URL,
    trustedProxies: raw.TRUSTED_PROXIES,
    rateLimit: {
      anonymousPerMinute: raw.RATE_LIMIT_ANON_PER_MIN,
      userPerMinute: raw.RATE_LIMIT_USER_PER_MIN,
      authPerMinute: raw.RATE_LIMIT_AUTH_PER_MIN,
      failClosed: raw.RATE_LIMIT_FAIL_CLOSED,
      keyPrefix: raw.RATE_LIMIT_KEY_PREFIX,
    },
    operationLimits: {
      maxBytes: raw.OPERATION_MAX_BYTES,
      maxTokens: raw.OPERATION_MAX_TOKENS,
      maxDepth: raw.OPERATION_MAX_DEPTH,
      maxAliases: raw.OPERATION_MAX_ALIASES,
      maxRootFields: raw.OPERATION_MAX_ROOT_FIELDS,
      maxCost: raw.OPERATION_MAX_COST,
      assumedListSize: raw.OPERATION_ASSUMED_LIST_SIZE,
    },
    persistedQueries: {
      mode: raw.PERSISTED_QUERIES,
      manifestPath: path.resolve(raw.PERSISTED_QUERIES_MANIFEST),
      /** APQ registrations in Redis (with REDIS_URL) live under this prefix. */
      keyPrefix: raw.PERSISTED_QUERIES_KEY_PREFIX,
    },
    /** "Did you mean …?" in error messages: on in development, off in production unless asked. */
    fieldSuggestions: raw.FIELD_SUGGESTIONS ? raw.FIELD_SUGGESTIONS === 'true' : !production,
  };
}

export type EdgeConfig = ReturnType<typeof edgeConfig>;
