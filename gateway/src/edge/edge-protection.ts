import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import type { TokenVerifier } from '@fedshop/shared/auth';
import type { ValidationRule } from 'graphql';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GatewayContext } from '../gateway-context';
import type { EdgeConfig } from './edge-config';
import { createEdgeMetrics, type EdgeMetrics } from './edge-metrics';
import { costLimitPlugin, operationLimitRules } from './operation-limits';
import { createRedisPersistedQueryCache } from './persisted-query-cache';
import { createSafelist, loadManifest, type Safelist } from './persisted-queries';
import { createRateLimiter, type RateLimiter } from './rate-limit';
import { rateLimitPlugin } from './rate-limit-plugin';
import { createMemoryRateLimitStore, createRedisRateLimitStore, type RateLimitStore } from './rate-limit-store';
import { createRequestAdmission } from './request-admission';

export interface EdgeProtection {
  /** The per-request context builder that admits or refuses requests (pass as the GraphQL endpoint's `context`). */
  admit: ReturnType<typeof createRequestAdmission>;
  /** Operation limits checked during validation (depth, aliases, root fields). */
  validationRules: ValidationRule[];
  /** Cost limit, credential rate limits and RateLimit-* headers. */
  plugins: ApolloServerPlugin<GatewayContext>[];
  /** Apollo Server's `persistedQueries`: APQ, the safelist's manifest, or off. */
  persistedQueries: ApolloServerOptions<GatewayContext>['persistedQueries'];
  /** The rate limiter behind `admit` (subscriptions take from the same buckets). */
  rateLimiter: RateLimiter;
  /** The safelist in safelist mode, else null. */
  safelist: Safelist | null;
  metrics: EdgeMetrics;
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
}

/**
 * Everything that guards the gateway's door, built from its config: rate limits and APQ
 * registrations (Redis shared by replicas when REDIS_URL is set, else in memory), operation
 * limits, persisted queries.
 */
export async function createEdgeProtection(options: {
  config: EdgeConfig;
  verifier: TokenVerifier;
  logger: Logger;
  registry: Registry;
}): Promise<EdgeProtection> {
  const { config, logger } = options;
  const metrics = createEdgeMetrics(options.registry);
  let store: RateLimitStore;
  let sharedApqCache: ReturnType<typeof createRedisPersistedQueryCache> | undefined;
  if (config.redisUrl) {
    const redisStore = createRedisRateLimitStore({
      url: config.redisUrl,
      onConnectionChange: (state, error) =>
        state === 'ready'
          ? logger.info('rate-limit store (Redis) reachable again')
          : logger.warn({ err: error }, 'rate-limit store (Redis) unreachable; reconnecting'),
    });
    store = redisStore;
    // APQ registrations live where the buckets do, so every replica knows every registered hash.
    sharedApqCache = createRedisPersistedQueryCache({ redis: redisStore.redis, keyPrefix: config.persistedQueries.keyPrefix, logger });
  } else {
    store = createMemoryRateLimitStore();
  }
  // Redis is waited for a little at start; the gateway starts without it (fail-open or -closed applies meanwhile).
  if (!(await store.ready(2_000))) {
    logger.warn(
      { failClosed: config.rateLimit.failClosed },
      'rate-limit store (Redis) not reachable at start; reconnecting in the background',
    );
  }
  const rateLimiter = createRateLimiter(config.rateLimit, store, logger, metrics);
  const safelist =
    config.persistedQueries.mode === 'safelist' ? createSafelist(loadManifest(config.persistedQueries.manifestPath), metrics) : null;
  logger.info(
    {
      rateLimitStore: config.redisUrl ? 'redis' : 'memory',
      rateLimit: { ...config.rateLimit, keyPrefix: undefined },
      operationLimits: config.operationLimits,
      persistedQueries: config.persistedQueries.mode,
      persistedQueryCache: config.persistedQueries.mode === 'apq' ? (sharedApqCache ? 'redis' : 'memory') : undefined,
      safelistedOperations: safelist?.size,
      trustedProxies: config.trustedProxies.entries,
    },
    'edge protection',
  );
  return {
    admit: createRequestAdmission({
      verifier: options.verifier,
      rateLimiter,
      trustedProxies: config.trustedProxies,
      limits: config.operationLimits,
      safelist,
      metrics,
    }),
    validationRules: operationLimitRules(config.operationLimits, metrics),
    plugins: [costLimitPlugin<GatewayContext>(config.operationLimits, metrics), rateLimitPlugin(rateLimiter)],
    // APQ without Redis: Apollo Server's in-memory cache, one per process.
    persistedQueries:
      config.persistedQueries.mode === 'off'
        ? false
        : safelist
          ? { cache: safelist.cache, ttl: null }
          : sharedApqCache
            ? { cache: sharedApqCache }
            : undefined,
    rateLimiter,
    safelist,
    metrics,
    close: () => store.close(),
  };
}
