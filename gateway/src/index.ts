import { createTokenVerifier } from '@fedshop/shared/auth';
import { createLogger, type Logger } from '@fedshop/shared/logging';
import { createServiceMetrics } from '@fedshop/shared/metrics';
import type { GatewayConfig } from './config';
import { createEdgeProtection } from './edge/edge-protection';
import { startGatewayHttpServer } from './gateway-http-server';
import { closeGatewayInternals, drainGateway, type GatewayInternals } from './gateway-shutdown';
import { createGatewayErrorFormatter, createGraphQLServer } from './graphql-server';
import { createResponseCache } from './response-cache/response-cache';
import { createGatewaySubscriptions } from './subscriptions/gateway-subscriptions';
import { createFederatedUpstream } from './upstream/federated-upstream';

export { loadConfig, type GatewayConfig } from './config';

export const SERVICE = 'gateway';
export const VERSION = (require('../package.json') as { version: string }).version;

export interface RunningGateway {
  /** Base URL (GraphQL at /graphql). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * The platform's one public door: an Apollo Gateway serving the static, committed
 * supergraph (no runtime introspection of subgraphs). It verifies bearer tokens against the
 * users service's JWKS before any planning (invalid → HTTP 401, no subgraph called),
 * forwards them to the subgraphs, and masks anything that is not part of the error vocabulary.
 * Its door is guarded by edge/: rate limits, operation limits and persisted queries (docs/security.md).
 */
export async function startGateway(config: GatewayConfig, options: { logger?: Logger } = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createGatewayLogger(config);
  const metrics = createServiceMetrics(SERVICE);
  const upstream = createFederatedUpstream(config, { logger, registry: metrics.registry });
  // The JWKS comes through the subgraphs' pool too (Node's fetch is never loaded in the gateway).
  const verifier = createTokenVerifier({ ...config.jwt, fetchKeySet: upstream.fetchKeySet });
  const edge = await createEdgeProtection({ config: config.edge, verifier, logger, registry: metrics.registry });
  const formatError = createGatewayErrorFormatter({ logger, fieldSuggestions: config.edge.fieldSuggestions });
  // Subscriptions: planned on the same supergraph, each version as the gateway applies it.
  const subscriptions = createGatewaySubscriptions({
    limits: config.subscriptions,
    deduplication: config.subscriptions.deduplication,
    edge,
    edgeConfig: config.edge,
    verifier,
    buildService: upstream.buildService,
    formatError,
    logger,
    registry: metrics.registry,
  });
  upstream.gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => subscriptions.supergraphChanged(coreSupergraphSdl));
  const responseCache = config.responseCache.enabled
    ? createResponseCache({
        config: config.responseCache,
        supergraphVersion: () => upstream.supergraph.version(),
        logger,
        registry: metrics.registry,
      })
    : null;
  const apollo = createGraphQLServer({
    config,
    gateway: upstream.gateway,
    edge,
    formatError,
    responseCache,
    graphqlMetrics: metrics.graphql,
  });
  const internals: GatewayInternals = { apollo, upstream, edge, responseCache };
  await apollo.start().catch(async (error: unknown) => {
    await closeGatewayInternals({ ...internals, apollo: null });
    throw error;
  });
  let shuttingDown = false;
  const http = await startGatewayHttpServer({
    config,
    logger,
    metrics,
    apollo,
    admit: edge.admit,
    subscriptions,
    readinessChecks: () => upstream.readinessChecks(),
    isShuttingDown: () => shuttingDown,
  }).catch(async (error: unknown) => {
    await closeGatewayInternals(internals);
    throw error;
  });
  logger.info({ port: http.port, subgraphs: upstream.supergraph.subgraphs() }, 'gateway ready');
  return {
    url: http.url,
    port: http.port,
    async stop() {
      shuttingDown = true;
      await drainGateway({ subscriptions, http, internals }, config.shutdownTimeoutMs);
      logger.info('gateway stopped');
    },
  };
}

function createGatewayLogger(config: GatewayConfig): Logger {
  return createLogger({
    service: SERVICE,
    version: VERSION,
    level: config.log.level,
    pretty: config.log.pretty,
    batchBytes: config.log.batchBytes,
  });
}
