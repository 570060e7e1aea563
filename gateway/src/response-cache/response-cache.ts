import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import ApolloServerPluginResponseCache from '@apollo/server-plugin-response-cache';
import { trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GatewayContext } from '../gateway-context';
import { listenForPurges, type PurgeListener } from './purge-listener';
import type { ResponseCacheConfig } from './response-cache-config';
import { createResponseCacheMetrics } from './response-cache-metrics';
import { createMemoryBackend, createRedisBackend } from './response-store-backend';
import { TaggedResponseStore } from './tagged-response-store';

/** What one request gathers for the cache while it runs (the data sources fill it). */
export interface ResponseCacheRequestState {
  /** Tags of every subgraph answer: entities shown (queries) or invalidated (mutations). */
  tags: Set<string>;
  /** When the earliest subgraph fetch behind the response was sent, ms since the epoch (null: none). */
  fetchedAtMs: number | null;
  /** Whether the cache was looked in (for the miss count). */
  consulted: boolean;
  /** A subgraph answer came without tags: what it shows could not be purged, so the response is not cached. */
  untagged: boolean;
}

export interface ResponseCache {
  /** Apollo's response-cache plugin on our store, then ours (tags, purges, metrics). */
  plugins: ApolloServerPlugin<GatewayContext>[];
  close(): Promise<void>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The gateway's response cache (README, Response cache): whole query responses, cached as
 * their subgraphs' `@cacheControl` hints allow (the policy Apollo Server computes from each
 * subgraph answer's Cache-Control: the shortest max-age, PRIVATE if any part is), PUBLIC ones
 * shared, PRIVATE ones per account; in Redis when configured (shared by replicas), else in
 * memory. Keys: the operation's text and name, its variables, the account for private data,
 * the supergraph version. Never cached: mutations, responses with errors, responses without
 * a policy. Each response is tagged with the entities it shows; the replica that executes a
 * mutation purges what the mutation invalidates before answering, and every replica purges on
 * the services' change events (NATS).
 */
export function createResponseCache(options: {
  config: ResponseCacheConfig;
  /** The supergraph version being served (part of every key). */
  supergraphVersion: () => string;
  logger: Logger;
  registry: Registry;
}): ResponseCache {
  const { config, logger } = options;
  const metrics = createResponseCacheMetrics(options.registry);
  const backend = config.redisUrl
    ? createRedisBackend({
        url: config.redisUrl,
        keyPrefix: config.keyPrefix,
        tagTtlSeconds: config.maxAgeCapSeconds + 60,
        onConnectionChange: (state, error) =>
          state === 'ready'
            ? logger.info('response cache store (Redis) reachable again')
            : logger.warn({ err: error }, 'response cache store (Redis) unreachable; serving uncached meanwhile'),
      })
    : createMemoryBackend(config.maxBytes);
  const store = new TaggedResponseStore({
    backend,
    maxEntryBytes: config.maxEntryBytes,
    maxAgeCapSeconds: config.maxAgeCapSeconds,
    metrics,
    logger,
  });
  const purge = (tags: string[], source: 'event' | 'broadcast') => store.purge(tags, source);
  const listener: PurgeListener | null = config.natsUrl
    ? listenForPurges({ url: config.natsUrl, logger, registry: options.registry, purge })
    : null;
  logger.info(
    { store: backend.kind, maxBytes: backend.kind === 'memory' ? config.maxBytes : undefined, changeEvents: Boolean(listener) },
    'response cache on',
  );

  const stateOf = (requestContext: GraphQLRequestContext<GatewayContext>) => requestContext.contextValue.responseCache;
  // Only requests whose token (if any) was verified get here at all (edge admission answers 401
  // first); checked again, since caching under an unverified identity would leak.
  const usable = async (requestContext: GraphQLRequestContext<GatewayContext>) => {
    const context = requestContext.contextValue;
    return Boolean(stateOf(requestContext)) && (context.token === null || context.viewer !== null);
  };

  const apolloPlugin = ApolloServerPluginResponseCache<GatewayContext>({
    cache: store,
    sessionId: async (requestContext) => requestContext.contextValue.viewer?.id ?? null,
    extraCacheKeyData: async () => ({ supergraph: options.supergraphVersion() }),
    shouldReadFromCache: async (requestContext) => {
      const state = stateOf(requestContext);
      if (state) state.consulted = true;
      return usable(requestContext);
    },
    shouldWriteToCache: usable,
    generateCacheKey: (requestContext, keyData) => {
      const key = sha256(JSON.stringify(keyData));
      const state = requestContext.contextValue.responseCache as ResponseCacheRequestState | undefined;
      // Read or write: the plugin writes (if it does) synchronously after this call. A write
      // without a fetch behind it has no tags and no time: it is refused by the store.
      if (state && state.fetchedAtMs !== null && !state.untagged) {
        store.expectWrite(key, {
          operation: metrics.operationLabel(requestContext.operationName ?? 'anonymous'),
          tags: [...state.tags],
          fetchedAtMs: state.fetchedAtMs,
        });
      }
      return key;
    },
  });

  const ourPlugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart(requestContext) {
      requestContext.contextValue.responseCache = { tags: new Set(), fetchedAtMs: null, consulted: false, untagged: false };
      return {
        async willSendResponse(requestContext) {
          const state = requestContext.contextValue.responseCache;
          if (!state) return;
          const operation = requestContext.operation?.operation;
          if (operation === 'mutation' && state.tags.size > 0) {
            // Before the answer leaves: whoever wrote never reads the old value afterwards.
            const tags = [...state.tags];
            await store.purge(tags, 'mutation');
            listener?.broadcast(tags);
            return;
          }
          if (operation !== 'query' || !state.consulted) return;
          const label = metrics.operationLabel(requestContext.operationName ?? 'anonymous');
          if (requestContext.metrics.responseCacheHit) {
            metrics.hits.inc({ operation: label });
            trace.getActiveSpan()?.setAttribute('fedshop.response_cache.hit', true);
          } else {
            metrics.misses.inc({ operation: label });
          }
        },
      };
    },
  };

  return {
    // Ours first: its requestDidStart sets up the state the Apollo plugin's hooks read.
    plugins: [ourPlugin, apolloPlugin],
    async close() {
      await listener?.close();
      await store.close();
    },
  };
}

/** Whether a data source should ask its subgraph for cache tags: only when the cache is on for this request. */
export function cacheStateOf(context: unknown): ResponseCacheRequestState | undefined {
  return (context as Partial<GatewayContext> | undefined)?.responseCache;
}

/**
 * Takes a subgraph answer's cache tags out of its extensions (they are for the gateway, not
 * the client) into the request's state, with the fetch's send time.
 */
export function collectCacheTags(
  state: ResponseCacheRequestState,
  response: { extensions?: Record<string, unknown> },
  sentAtMs: number,
  extension: string,
): void {
  state.fetchedAtMs = state.fetchedAtMs === null ? sentAtMs : Math.min(state.fetchedAtMs, sentAtMs);
  const tags = response.extensions?.[extension];
  if (!response.extensions || !Array.isArray(tags)) {
    state.untagged = true;
    return;
  }
  for (const tag of tags) if (typeof tag === 'string') state.tags.add(tag);
  const { [extension]: _tags, ...rest } = response.extensions;
  response.extensions = Object.keys(rest).length > 0 ? rest : undefined;
}
