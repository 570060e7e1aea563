import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { createTokenVerifier } from '@fedshop/shared/auth';
import { ERROR_CODES, REQUEST_REJECTION_CODES, createGraphQLErrorFormatter } from '@fedshop/shared/errors';
import { stringifyCompactResult } from '@fedshop/shared/graphql';
import { healthRoutes, startHttpServer } from '@fedshop/shared/http';
import { createLogger, type Logger } from '@fedshop/shared/logging';
import { createServiceMetrics, serveMetrics } from '@fedshop/shared/metrics';
import { graphqlTelemetryPlugin } from '@fedshop/shared/telemetry';
import type { GatewayConfig } from './config';
import { createEdgeProtection } from './edge/edge-protection';
import type { GatewayContext } from './gateway-context';
import { readSession } from './session/session-cookie';
import { sessionCookiePlugin } from './session/session-cookie-plugin';
import { SubgraphDataSource } from './upstream/subgraph-data-source';
import { createSubgraphFetchMetrics } from './upstream/subgraph-fetch-metrics';
import { checkSubgraphReady } from './upstream/subgraph-readiness';
import { createKeySetFetcher } from './upstream/key-set-fetcher';
import { createSubgraphAgent } from './upstream/subgraph-request';
import { createSupergraphSource } from './supergraph/supergraph-source';
import { createGatewaySubscriptions } from './subscriptions/gateway-subscriptions';
import { subscriptionsElsewherePlugin } from './subscriptions/subscriptions-elsewhere-plugin';
import { createResponseCache } from './response-cache/response-cache';
import { Counter } from 'prom-client';

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
  const logger =
    options.logger ??
    createLogger({
      service: SERVICE,
      version: VERSION,
      level: config.log.level,
      pretty: config.log.pretty,
      batchBytes: config.log.batchBytes,
    });
  const metrics = createServiceMetrics(SERVICE);
  const supergraph = createSupergraphSource({
    path: config.supergraphPath,
    overrides: config.subgraphUrlOverrides,
    pollIntervalMs: config.supergraphPollMs,
    logger,
    reloads: new Counter({
      name: 'gateway_supergraph_reloads_total',
      help: 'New supergraph versions seen, by result (applied / rejected).',
      labelNames: ['result'] as const,
      registers: [metrics.registry],
    }),
  });
  const agent = createSubgraphAgent();
  const subgraphFetches = createSubgraphFetchMetrics(metrics.registry);
  // With a tracer provider registered (runServiceMain), Apollo Gateway adds its own spans:
  // gateway.request, gateway.validate, gateway.plan, gateway.execute, gateway.fetch per subgraph.
  // @apollo/gateway reads this variable itself, when constructed: unless asked for, it must
  // not phone home (nor wait on cloud metadata endpoints) from a self-hosted platform.
  if (!config.apolloUsageReporting) process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const buildService = ({ name, url }: { name: string; url?: string }) =>
    new SubgraphDataSource({
      name,
      url: url ?? '',
      agent,
      timeoutMs: config.subgraphTimeoutMs,
      deduplication: config.subgraphDeduplication,
      metrics: subgraphFetches,
    });
  const gateway = new ApolloGateway({ supergraphSdl: supergraph.hook, buildService, logger });
  // The JWKS comes through the subgraphs' pool too (Node's fetch is never loaded in the gateway).
  const verifier = createTokenVerifier({ ...config.jwt, fetchKeySet: createKeySetFetcher(agent) });
  const edge = await createEdgeProtection({ config: config.edge, verifier, logger, registry: metrics.registry });
  const formatError = createGraphQLErrorFormatter({
    logger,
    // Subgraphs speak the whole vocabulary; RATE_LIMITED is the users service's sign-in throttling.
    trustedUpstreamCodes: new Set([...ERROR_CODES.filter((code) => code !== 'INTERNAL_SERVER_ERROR'), ...REQUEST_REJECTION_CODES]),
    hideSuggestions: !config.edge.fieldSuggestions,
  });
  // Subscriptions: planned on the same supergraph, each version as the gateway applies it.
  const subscriptions = createGatewaySubscriptions({
    limits: config.subscriptions,
    edge,
    edgeConfig: config.edge,
    verifier,
    buildService,
    formatError,
    logger,
    registry: metrics.registry,
  });
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => subscriptions.supergraphChanged(coreSupergraphSdl));
  const responseCache = config.responseCache.enabled
    ? createResponseCache({
        config: config.responseCache,
        supergraphVersion: () => supergraph.version(),
        logger,
        registry: metrics.registry,
      })
    : null;
  const apollo = new ApolloServer<GatewayContext>({
    // @apollo/gateway implements server-gateway-interface 1, Apollo Server 5 declares 2: same shape.
    gateway: gateway,
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    // Edge protection (docs/security.md): limits checked before planning, persisted queries.
    validationRules: edge.validationRules,
    persistedQueries: edge.persistedQueries,
    parseOptions: { maxTokens: config.edge.operationLimits.maxTokens },
    stringifyResult: stringifyCompactResult,
    // Apollo Server's defaults, stated because they are part of the security posture.
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // Shutdown is ours (lifecycle/run-service.ts): drain HTTP first, then stop Apollo.
    stopOnTerminationSignals: false,
    plugins: [
      config.introspection
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
      ...edge.plugins,
      subscriptionsElsewherePlugin(),
      sessionCookiePlugin(config.sessionCookie),
      graphqlTelemetryPlugin(metrics.graphql),
      ...(responseCache?.plugins ?? []),
    ],
  });
  await apollo.start().catch(async (error: unknown) => {
    await edge.close();
    await responseCache?.close();
    throw error;
  });
  let shuttingDown = false;
  const http = await startHttpServer<GatewayContext>({
    host: config.http.host,
    port: config.http.port,
    logger,
    maxBodyBytes: config.http.maxBodyBytes,
    metrics,
    corsOrigins: config.corsOrigins,
    routes: {
      ...healthRoutes({
        isShuttingDown: () => shuttingDown,
        // The supergraph is loaded once Apollo Server has started (a failed load fails the start).
        checks: () => [
          { name: 'supergraph', check: async () => undefined },
          ...supergraph.subgraphs().map((subgraph) => ({
            name: subgraph.name,
            check: () => checkSubgraphReady(subgraph.url, agent),
          })),
        ],
      }),
      'GET /metrics': (_req, res) => serveMetrics(metrics, res),
    },
    graphql: {
      path: '/graphql',
      server: apollo,
      // Verifies the token, takes from the caller's rate-limit bucket, checks the document's size;
      // then reads the session cookie, if this request's origin may use it.
      context: async (req, info, body) => ({ ...(await edge.admit(req, info, body)), session: readSession(req, config.sessionCookie) }),
      // Subscriptions over Server-Sent Events (Accept: text/event-stream); WebSocket upgrades below.
      eventStream: subscriptions.eventStream,
    },
  }).catch(async (error: unknown) => {
    await apollo.stop();
    await edge.close();
    await responseCache?.close();
    throw error;
  });
  subscriptions.attach(http.server, '/graphql');
  logger.info({ port: http.port, subgraphs: supergraph.subgraphs() }, 'gateway ready');
  return {
    url: http.url,
    port: http.port,
    async stop() {
      shuttingDown = true;
      // Subscriptions first (in-flight events sent, then 1012 / SERVICE_UNAVAILABLE), within half the budget.
      const started = Date.now();
      await subscriptions.drain(started + Math.max(500, (config.shutdownTimeoutMs - 1_000) / 2));
      await http.close(Math.max(1_000, config.shutdownTimeoutMs - 1_000 - (Date.now() - started)));
      await apollo.stop();
      await agent.close();
      await edge.close();
      await responseCache?.close();
      logger.info('gateway stopped');
    },
  };
}
