import path from 'node:path';
import { z } from 'zod';
import { env } from '@fedshop/shared/config';
import { parseTrustedProxies } from './client-address';

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** A per-minute budget; 0 switches that bucket off. */
const perMinute = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

/**
 * The gateway's edge-protection variables, spread into its config schema (gateway/src/config.ts
 * stays the one place the environment is read). Every default is in docs/configuration.md
 * (generated from this schema and edgeEnvDescriptions) and, with the reasoning behind it, in
 * docs/security.md.
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

/** What each edge variable means (docs/configuration.md is generated from it; docs/security.md has the reasoning behind the defaults). */
export const edgeEnvDescriptions = {
  REDIS_URL:
    "Redis shared by every gateway replica for the rate-limit buckets (one Lua script per check, time from Redis). Unset: buckets live in this process's memory; set it with more than one replica.",
  TRUSTED_PROXIES:
    "Comma-separated IPs or CIDRs of the load balancers whose `X-Forwarded-For` is believed, read right to left; the first untrusted hop is the client. Unset: nobody's.",
  RATE_LIMIT_ANON_PER_MIN:
    'Requests per minute per client address without a valid token (an IPv6 client counts as its /64); 0 switches the bucket off.',
  RATE_LIMIT_USER_PER_MIN: 'Requests per minute per signed-in user (verified token); 0 switches the bucket off.',
  RATE_LIMIT_AUTH_PER_MIN: '`signIn`/`signUp` fields per minute, per client address and per email named; 0 switches the buckets off.',
  RATE_LIMIT_FAIL_CLOSED:
    'When the Redis store cannot answer: `false` lets requests through (logged at most every 10 s, counted), `true` refuses them (503).',
  RATE_LIMIT_KEY_PREFIX: 'Prefix of every bucket key: one namespace per deployment on a shared Redis.',
  OPERATION_MAX_BYTES: 'Largest GraphQL document, in bytes (400 `OPERATION_TOO_LARGE`).',
  OPERATION_MAX_TOKENS: 'Most lexical tokens in a document (400 `OPERATION_TOO_LARGE`).',
  OPERATION_MAX_DEPTH: 'Deepest selection, fragments flattened (400 `OPERATION_TOO_DEEP`).',
  OPERATION_MAX_ALIASES: 'Most aliases in an operation, `__typename` free (400 `OPERATION_TOO_MANY_ALIASES`).',
  OPERATION_MAX_ROOT_FIELDS: 'Most root fields in an operation, `__typename` free (400 `OPERATION_TOO_MANY_ROOT_FIELDS`).',
  OPERATION_MAX_COST:
    "Highest estimated cost (Apollo Router's demand-control model: object field 1, scalar 0, mutation field +10, lists times `first`/`last`), checked with the variables known (400 `OPERATION_TOO_COSTLY`).",
  OPERATION_ASSUMED_LIST_SIZE: 'Size the cost estimate assumes for a list field without `first`/`last`.',
  PERSISTED_QUERIES:
    "`apq`: automatic persisted queries; `safelist`: only the manifest's operations run, nothing can be registered (recommended in production); `off`: persisted queries refused.",
  PERSISTED_QUERIES_MANIFEST:
    "The safelist: an Apollo persisted-query manifest (`npm run persisted-queries` writes it from the storefront's operations).",
  FIELD_SUGGESTIONS: '"Did you mean …?" in validation errors. Unset: on in development, off in production.',
  PERSISTED_QUERIES_KEY_PREFIX:
    'Prefix of the Redis keys of APQ registrations (with `REDIS_URL`, a hash registered through one gateway replica runs on every other).',
} satisfies Record<keyof typeof edgeEnvSchema, string>;

type EdgeEnv = z.output<z.ZodObject<typeof edgeEnvSchema>>;

/** The edge settings the gateway is built with (see docs/security.md). */
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
