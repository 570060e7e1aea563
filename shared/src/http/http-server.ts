import { createServer, type Server } from 'node:http';
import type { BaseContext } from '@apollo/server';
import type { Logger } from 'pino';
import { runInRequestScope, type RequestScope } from '../context/request-scope';
import type { ServiceMetrics } from '../metrics/metrics';
import { applyCors } from './cors';
import { serveGraphQL, type GraphQLEndpoint } from './graphql-endpoint';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id';
import { inHttpServerSpan } from '../telemetry/http-spans';
import { recordWhenSent } from './request-telemetry';
import { routesServePath, serveRoute, type RequestInfo, type RouteHandler } from './routes';
import { sendGraphQLHttpError, sendJson } from './send-json';
import { applyTimeouts, createDraining, listen } from './server-lifecycle';

export interface HttpServerOptions<TContext extends BaseContext> {
  /** Interface to bind; default `0.0.0.0`. */
  host?: string;
  /** Port; 0 picks a free one (tests). */
  port: number;
  logger: Logger;
  /** Plain routes keyed `"METHOD /path"`, e.g. `"GET /healthz"`. */
  routes?: Record<string, RouteHandler>;
  graphql?: GraphQLEndpoint<TContext>;
  /** Largest accepted request body; default 1 MiB. Larger bodies get 413 without being read. */
  maxBodyBytes?: number;
  /**
   * How long an idle keep-alive connection stays open; default 65 s. Callers (the gateway)
   * must use a shorter idle timeout so they never reuse a socket this side is closing.
   */
  keepAliveTimeoutMs?: number;
  /**
   * Origins allowed by CORS; default none (same-origin only). A list allows those origins with
   * credentials (cookies); `*` lets any origin read answers, never with credentials, so no site
   * can make a browser send its cookies here and read what comes back.
   */
  corsOrigins?: '*' | string[];
  /** Where request durations and accepted connections are counted. */
  metrics?: ServiceMetrics;
}

export interface RunningHttpServer {
  /** The port actually bound. */
  port: number;
  /** `http://127.0.0.1:<port>` (handy in tests and logs). */
  url: string;
  server: Server;
  /** Stops accepting connections, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The services' one HTTP transport: plain routes (health, JWKS, metrics) plus an Apollo
 * Server endpoint, request ids, body limits, CORS and one log line per request.
 */
export async function startHttpServer<TContext extends BaseContext>(options: HttpServerOptions<TContext>): Promise<RunningHttpServer> {
  const { logger, metrics, graphql } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const routes = options.routes ?? {};
  const server = createServer();
  const draining = createDraining(server);
  server.on('request', (req, res) => {
    const startedAt = process.hrtime.bigint();
    draining.track(res);
    const requestId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    metrics?.httpInFlight.inc();
    res.on('close', () => metrics?.httpInFlight.dec());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return sendJson(res, 400, { error: 'Bad request URL' });
    }
    const info: RequestInfo = { requestId, url, logger };
    const scope: RequestScope = { requestId };
    const known = url.pathname === graphql?.path || routesServePath(routes, url.pathname);
    // Everything the request does runs in its server span: its log lines carry the span's ids.
    inHttpServerSpan(req, res, url.pathname, known ? url.pathname : undefined, () => {
      recordWhenSent(req, res, { url, known, scope, startedAt, logger, metrics });
      if (applyCors(req, res, options.corsOrigins)) return;
      const handle = async () =>
        graphql && url.pathname === graphql.path ? serveGraphQL(graphql, req, res, info, maxBodyBytes) : serveRoute(routes, req, res, info);
      runInRequestScope(scope, handle).catch((error: unknown) => {
        logger.error({ err: error, requestId }, 'unhandled error in HTTP handler');
        if (!res.headersSent) sendGraphQLHttpError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
        else res.destroy();
      });
    });
  });
  server.on('connection', () => metrics?.httpConnections.inc());
  applyTimeouts(server, options.keepAliveTimeoutMs ?? 65_000);
  const port = await listen(server, options.port, options.host ?? '0.0.0.0');
  return { port, url: `http://127.0.0.1:${port}`, server, close: (graceMs = 10_000) => draining.close(graceMs) };
}
