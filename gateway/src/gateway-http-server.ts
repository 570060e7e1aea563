import type { ApolloServer } from '@apollo/server';
import { healthRoutes, startHttpServer, type ReadinessCheck, type RunningHttpServer } from '@fedshop/shared/http';
import { serveMetrics, type ServiceMetrics } from '@fedshop/shared/metrics';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config';
import type { EdgeProtection } from './edge/edge-protection';
import type { GatewayContext } from './gateway-context';
import { readSession } from './session/session-cookie';
import type { GatewaySubscriptions } from './subscriptions/gateway-subscriptions';

/** Queries, mutations and subscriptions (SSE and WebSocket) all at this one path. */
const GRAPHQL_PATH = '/graphql';

/**
 * The gateway's HTTP door: GraphQL at /graphql, where every request is admitted by
 * edge protection first; subscriptions on the same path; /healthz, /readyz and /metrics.
 */
export async function startGatewayHttpServer(options: {
  config: Pick<GatewayConfig, 'http' | 'corsOrigins' | 'sessionCookie'>;
  logger: Logger;
  metrics: ServiceMetrics;
  apollo: ApolloServer<GatewayContext>;
  admit: EdgeProtection['admit'];
  subscriptions: GatewaySubscriptions;
  readinessChecks: () => ReadinessCheck[];
  /** Once true, /readyz answers 503 so load balancers drain this replica. */
  isShuttingDown: () => boolean;
}): Promise<RunningHttpServer> {
  const { config, admit, subscriptions } = options;
  const http = await startHttpServer<GatewayContext>({
    host: config.http.host,
    port: config.http.port,
    logger: options.logger,
    maxBodyBytes: config.http.maxBodyBytes,
    metrics: options.metrics,
    corsOrigins: config.corsOrigins,
    routes: {
      ...healthRoutes({ isShuttingDown: options.isShuttingDown, checks: options.readinessChecks }),
      'GET /metrics': (_req, res) => serveMetrics(options.metrics, res),
    },
    graphql: {
      path: GRAPHQL_PATH,
      server: options.apollo,
      // Verifies the token, takes from the caller's rate-limit bucket, checks the document's size;
      // then reads the session cookie, if this request's origin may use it.
      context: async (req, info, body) => ({ ...(await admit(req, info, body)), session: readSession(req, config.sessionCookie) }),
      // Subscriptions over Server-Sent Events (Accept: text/event-stream); WebSocket upgrades below.
      eventStream: subscriptions.eventStream,
    },
  });
  subscriptions.attach(http.server, GRAPHQL_PATH);
  return http;
}
