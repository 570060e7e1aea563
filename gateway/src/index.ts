import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import {
  ERROR_CODES,
  createGraphQLErrorFormatter,
  createLogger,
  createServiceMetrics,
  createTokenVerifier,
  healthRoutes,
  parseBearerToken,
  runServiceMain,
  serveMetrics,
  startHttpServer,
  toContextError,
  type Logger,
} from '@fedshop/shared';
import { loadConfig, type GatewayConfig } from './config';
import type { GatewayContext } from './gateway-context';
import { createSubgraphAgent, SubgraphDataSource } from './subgraphs/subgraph-data-source';
import { checkSubgraphReady } from './subgraphs/subgraph-readiness';
import { createSupergraphSource } from './supergraph/supergraph-source';
import { Counter } from 'prom-client';

export { loadConfig, type GatewayConfig } from './config';

const SERVICE = 'gateway';
const VERSION: string = require('../package.json').version;

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
 */
export async function startGateway(config: GatewayConfig, options: { logger?: Logger } = {}): Promise<RunningGateway> {
  const logger =
    options.logger ?? createLogger({ service: SERVICE, version: VERSION, level: config.log.level, pretty: config.log.pretty });
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
  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.hook,
    buildService: ({ name, url }) =>
      new SubgraphDataSource({ name, url: url ?? '', agent, timeoutMs: config.subgraphTimeoutMs }),
    logger,
  });
  const verifier = createTokenVerifier(config.jwt);
  const apollo = new ApolloServer<GatewayContext>({
    // @apollo/gateway implements server-gateway-interface 1, Apollo Server 5 declares 2: same shape.
    gateway: gateway as never,
    formatError: createGraphQLErrorFormatter({
      logger,
      trustedUpstreamCodes: new Set(ERROR_CODES.filter((code) => code !== 'INTERNAL_SERVER_ERROR')),
    }),
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    // Shutdown is ours (lifecycle/run-service.ts): drain HTTP first, then stop Apollo.
    stopOnTerminationSignals: false,
    plugins: [
      config.introspection
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();
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
      context: async (req, info) => {
        try {
          const token = parseBearerToken(req.headers.authorization);
          const viewer = token === null ? null : await verifier.verify(token);
          return { requestId: info.requestId, token, viewer };
        } catch (error) {
          throw toContextError(error);
        }
      },
    },
  }).catch(async (error: unknown) => {
    await apollo.stop();
    throw error;
  });
  logger.info({ port: http.port, subgraphs: supergraph.subgraphs() }, 'gateway ready');
  return {
    url: http.url,
    port: http.port,
    async stop() {
      shuttingDown = true;
      await http.close(Math.max(1_000, config.shutdownTimeoutMs - 1_000));
      await apollo.stop();
      await agent.close();
      logger.info('gateway stopped');
    },
  };
}

if (require.main === module) {
  runServiceMain({ name: SERVICE, version: VERSION, loadConfig: () => loadConfig(), start: startGateway });
}
