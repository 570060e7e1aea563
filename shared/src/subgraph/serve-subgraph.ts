import type { IncomingMessage } from 'node:http';
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { createGraphQLErrorFormatter } from '../errors/graphql-error-formatter';
import type { Database } from '../database/database';
import { startGrpcServer, type GrpcServiceRegistration } from '../grpc/grpc-server';
import { healthRoutes } from '../http/health-routes';
import { startHttpServer } from '../http/http-server';
import type { RequestInfo, RouteHandler } from '../http/routes';
import { serveMetrics, type ServiceMetrics } from '../metrics/metrics';
import { observePool } from '../database/pool-metrics';
import { graphqlTelemetryPlugin } from '../telemetry/graphql-telemetry-plugin';
import { toContextError } from '../graphql/request-viewer';
import { stringifyCompactResult } from '../graphql/compact-result';
import { serveSubgraphSubscriptions, type SubgraphSubscriptionServer } from './subscription-server';
import { cacheTagsPlugin } from './cache-tags';

/** Lexical tokens a subgraph parses at most per document (a parse error beyond). */
export const SUBGRAPH_MAX_TOKENS = 15_000;

export interface ServeSubgraphOptions<TContext extends BaseContext> {
  logger: Logger;
  metrics: ServiceMetrics;
  database: Database;
  schema: GraphQLSchema;
  /**
   * Builds a request's context from its headers; AppErrors thrown here answer with their HTTP
   * status (401...). Subscriptions (WebSocket) build theirs with it too, from their headers.
   */
  context: (req: Pick<IncomingMessage, 'headers'>, info: RequestInfo) => Promise<TContext>;
  http: { host: string; port: number };
  grpc: { host: string; port: number; services: GrpcServiceRegistration[] };
  /** Extra plain routes (e.g. the JWKS). */
  routes?: Record<string, RouteHandler>;
  /** Schema introspection (off in production: the gateway reads `_service`, not introspection). */
  introspection: boolean;
  /** How long in-flight HTTP requests and gRPC calls may take to finish when stopping (9 s). */
  drainTimeoutMs?: number;
  /** Apollo Server plugins of this subgraph's own (e.g. response headers for the gateway); default none. */
  plugins?: ApolloServerPlugin<TContext>[];
  /** Facts the /readyz body shows besides its checks (e.g. which event transport runs); default none. */
  readinessInfo?: () => Record<string, unknown>;
  /**
   * The subgraph's entity types and their key field (e.g. `{ Product: 'sku' }`): answers are
   * tagged with the entities they show when the gateway asks (cache-tags.ts); default none.
   */
  entityKeys?: Record<string, string>;
}

export interface RunningSubgraph {
  httpUrl: string;
  httpPort: number;
  grpcPort: number;
  /** Readiness turns 503, then HTTP and gRPC drain together, then Apollo stops. */
  stop(): Promise<void>;
}

/**
 * Serves one subgraph the way every subgraph is served: GraphQL at /graphql (Apollo Server,
 * errors through the shared formatter, operations traced and measured; subscriptions over
 * WebSocket on the same path), its gRPC services,
 * /healthz and /readyz (database reachable, migrations applied) and /metrics (the database
 * pool included).
 */
export async function serveSubgraph<TContext extends BaseContext>(options: ServeSubgraphOptions<TContext>): Promise<RunningSubgraph> {
  const { logger, database } = options;
  const apollo = new ApolloServer<TContext>({
    schema: options.schema,
    formatError: createGraphQLErrorFormatter({ logger }),
    includeStacktraceInErrorResponses: false,
    introspection: options.introspection,
    // Subgraphs sit behind the gateway's operation limits; this bounds what one reached directly
    // can be made to parse (Apollo Router's parser default; a planned fetch is far smaller).
    parseOptions: { maxTokens: SUBGRAPH_MAX_TOKENS },
    stringifyResult: stringifyCompactResult,
    // Shutdown is ours (lifecycle/run-service.ts): drain HTTP first, then stop Apollo.
    stopOnTerminationSignals: false,
    // No Apollo Studio here: federated traces would only cost bytes on every subgraph response.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      graphqlTelemetryPlugin(options.metrics.graphql),
      cacheTagsPlugin<TContext>(options.entityKeys ?? {}),
      ...(options.plugins ?? []),
    ],
  });
  observePool(options.metrics.registry, database.pool);
  await apollo.start();
  let shuttingDown = false;
  const grpcServer = await startGrpcServer({
    ...options.grpc,
    logger,
    metrics: options.metrics.grpc,
    health: { check: () => database.ping() },
  }).catch(async (error: unknown) => {
    await apollo.stop();
    throw error;
  });
  const http = await startHttpServer<TContext>({
    host: options.http.host,
    port: options.http.port,
    logger,
    metrics: options.metrics,
    routes: {
      ...healthRoutes({
        isShuttingDown: () => shuttingDown,
        info: options.readinessInfo,
        checks: [
          { name: 'database', check: () => database.ping() },
          {
            name: 'migrations',
            check: async () => {
              const pending = await database.pendingMigrations();
              if (pending.length > 0) throw new Error(`not applied: ${pending.join(', ')}`);
            },
          },
        ],
      }),
      'GET /metrics': (_req, res) => serveMetrics(options.metrics, res),
      ...options.routes,
    },
    graphql: {
      path: '/graphql',
      server: apollo,
      context: async (req, info) => {
        try {
          return await options.context(req, info);
        } catch (error) {
          throw toContextError(error);
        }
      },
    },
  }).catch(async (error: unknown) => {
    await grpcServer.stop(0);
    await apollo.stop();
    throw error;
  });
  // The schema's Subscription fields, over WebSocket on the same path (graphql-transport-ws).
  const subscriptions: SubgraphSubscriptionServer | undefined = options.schema.getSubscriptionType()
    ? serveSubgraphSubscriptions({
        server: http.server,
        path: '/graphql',
        schema: options.schema,
        logger,
        context: options.context,
        maxTokens: SUBGRAPH_MAX_TOKENS,
        registry: options.metrics.registry,
      })
    : undefined;
  return {
    httpUrl: http.url,
    httpPort: http.port,
    grpcPort: grpcServer.port,
    async stop() {
      shuttingDown = true;
      // Subscriptions end first: the gateway tells their subscribers the service is unavailable.
      await subscriptions?.close();
      const drain = options.drainTimeoutMs ?? 9_000;
      await Promise.all([http.close(drain), grpcServer.stop(drain)]);
      await apollo.stop();
    },
  };
}
