import type { Server } from 'node:http';
import type { GraphQLDataSource, ServiceMap } from '@apollo/gateway';
import type { TokenVerifier } from '@fedshop/shared/auth';
import { AppError } from '@fedshop/shared/errors';
import { specifiedRules, validate, type GraphQLFormattedError, type ValidationRule } from 'graphql';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EdgeProtection } from '../edge/edge-protection';
import type { EdgeConfig } from '../edge/edge-config';
import { createSubgraphSubscriptionClient, type SubgraphSubscriptionClient } from '../upstream/subgraph-subscription-client';
import { CLOSE_CODES } from './close-codes';
import { SubscriptionEnd } from './federated-subscription';
import { createSseTransport } from './sse-transport';
import { createSubscriptionDeduplication } from './subscription-deduplication';
import { createSubscriptionAdmission } from './subscription-admission';
import { createSubscriptionMetrics } from './subscription-metrics';
import { SubscriptionPlanner } from './subscription-planner';
import { createSubscriptionService, type SubscriptionLimits } from './subscription-service';
import { attachWebSocketTransport, type WebSocketTransport } from './websocket-transport';

export interface GatewaySubscriptionsOptions {
  limits: SubscriptionLimits;
  /** Identical subscriptions of one caller share one upstream subscription (SUBSCRIPTION_DEDUPLICATION). Default true. */
  deduplication?: boolean;
  edge: EdgeProtection;
  edgeConfig: EdgeConfig;
  verifier: TokenVerifier;
  /** The data source of a subgraph, as the gateway builds them for queries. */
  buildService: (subgraph: { name: string; url: string }) => GraphQLDataSource;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  logger: Logger;
  registry: Registry;
}

/**
 * Federated subscriptions (README, Subscriptions): planned on the supergraph the gateway
 * serves, subscribed upstream on the subgraph that owns the root field, every event completed
 * by the query-plan executor, served over WebSocket and SSE on the GraphQL endpoint's path.
 * `supergraphChanged` takes each version the gateway applies; `attach` starts serving on the
 * HTTP server; `drain` ends everything on shutdown.
 */
export function createGatewaySubscriptions(options: GatewaySubscriptionsOptions) {
  const { logger } = options;
  const metrics = createSubscriptionMetrics(options.registry);
  const planner = new SubscriptionPlanner();
  let services: ServiceMap = {};
  const upstreams = new Map<string, SubgraphSubscriptionClient>();
  const upstream = (name: string, url: string) => {
    const key = `${name} ${url}`;
    let client = upstreams.get(key);
    if (!client) {
      client = createSubgraphSubscriptionClient({ name, url, logger, upstreamConnections: metrics.upstreamConnections });
      upstreams.set(key, client);
    }
    return client;
  };
  const service = createSubscriptionService({
    planner,
    services: () => services,
    upstream,
    deduplication: createSubscriptionDeduplication({ enabled: options.deduplication ?? true }),
    limits: options.limits,
    metrics,
    rejections: options.edge.metrics.rejectedOperations,
    logger,
    formatError: options.formatError,
  });
  const validationRules: ValidationRule[] = options.edge.validationRules;
  const admission = createSubscriptionAdmission({
    verifier: options.verifier,
    rateLimiter: options.edge.rateLimiter,
    limits: options.edgeConfig.operationLimits,
    safelist: options.edge.safelist,
    persistedQueries: options.edgeConfig.persistedQueries.mode,
    validationRules,
    planner,
    metrics: options.edge.metrics,
  });
  const sse = createSseTransport({
    admission,
    service,
    trustedProxies: options.edgeConfig.trustedProxies,
    metrics,
    logger,
    formatError: options.formatError,
    connectionsPerAddress: options.limits.connectionsPerAddress,
    keepAliveMs: options.limits.keepAliveMs,
  });
  let ws: WebSocketTransport | undefined;

  return {
    /** Serves `Accept: text/event-stream` requests to the GraphQL path (the GraphQL endpoint's `eventStream`, @fedshop/shared/http). */
    eventStream: (...args: Parameters<typeof sse.handle>) => sse.handle(...args),

    /** Serves WebSocket upgrades to `path` on the gateway's HTTP server. */
    attach(server: Server, path: string) {
      ws = attachWebSocketTransport({
        server,
        path,
        admission,
        service,
        trustedProxies: options.edgeConfig.trustedProxies,
        metrics,
        logger,
        formatError: options.formatError,
        keepAliveMs: options.limits.keepAliveMs,
      });
    },

    /** A supergraph version the gateway applied (at start and on each reload). */
    supergraphChanged(supergraphSdl: string) {
      const version = planner.update(supergraphSdl);
      services = Object.fromEntries([...version.subgraphUrls].map(([name, url]) => [name, options.buildService({ name, url })]));
      const rules = [...specifiedRules, ...validationRules];
      service.reload((admitted) => validate(version.schema, admitted.document, rules));
      // Subgraph connections no subscription can use any more.
      for (const [key, client] of upstreams) {
        if (version.subgraphUrls.get(client.name) !== client.url) {
          upstreams.delete(key);
          void client.close();
        }
      }
    },

    /**
     * Shutdown: no new subscriptions; events already received are resolved and sent; then
     * WebSocket connections close with 1012 and SSE streams end with SERVICE_UNAVAILABLE, all
     * before `deadline` (ms since the epoch).
     */
    async drain(deadline: number): Promise<void> {
      service.stopAccepting();
      const active = service.size();
      await Promise.race([service.idle(), new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())]);
      await ws?.flushed(deadline);
      ws?.closeAll(CLOSE_CODES.serviceRestart, 'The gateway is restarting; reconnect');
      sse.endAll(
        () =>
          new SubscriptionEnd(
            'shutdown',
            new AppError('SERVICE_UNAVAILABLE', 'The gateway is restarting; subscribe again.', { retryable: true }),
          ),
      );
      await ws?.closed(deadline);
      while (Date.now() < deadline && sse.size() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      await Promise.all([...upstreams.values()].map((client) => client.close()));
      upstreams.clear();
      if (active > 0) logger.info({ subscriptions: active }, 'subscriptions ended for shutdown');
    },
  };
}

export type GatewaySubscriptions = ReturnType<typeof createGatewaySubscriptions>;
