import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from 'pino';
import { runInRequestScope, type RequestScope } from '../context/request-scope';
import type { ServiceMetrics } from '../metrics/metrics';
import { withGraphQLOperationSpan } from '../telemetry/graphql-operation-span';
import { inHttpServerSpan } from '../telemetry/http-spans';

/** Header carrying a request's id; taken from the client when sane, else generated. */
export const REQUEST_ID_HEADER = 'x-request-id';
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestInfo {
  requestId: string;
  url: URL;
  /** The service's logger: lines written while serving the request carry its ids (logging/logger.ts). */
  logger: Logger;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, info: RequestInfo) => Promise<void> | void;

export interface GraphQLEndpoint<TContext extends BaseContext> {
  /** URL path, e.g. `/graphql`. */
  path: string;
  server: ApolloServer<TContext>;
  /**
   * Builds the per-request context; throwing an AppError/GraphQLError here answers with its HTTP
   * status. `body` is the parsed request body (POST), so a gateway can admit or refuse the
   * operation before Apollo Server parses it.
   */
  context: (req: IncomingMessage, info: RequestInfo, body?: unknown) => Promise<TContext>;
  /**
   * Serves the requests to `path` that ask for `Accept: text/event-stream` (GraphQL over
   * Server-Sent Events), given the parsed body (POST) as for `context`; default: none, Apollo
   * Server answers them.
   */
  eventStream?: (req: IncomingMessage, res: ServerResponse, info: RequestInfo, body?: unknown) => Promise<void>;
}

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

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(payload);
}

/** A GraphQL-shaped error response for failures that happen before GraphQL runs. */
export function sendGraphQLHttpError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

class BodyTooLargeError extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLargeError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function toHeaderMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

function applyCors(req: IncomingMessage, res: ServerResponse, origins: '*' | string[] | undefined): void {
  const origin = req.headers.origin;
  if (!origin || !origins) return;
  if (origins === '*') {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'origin');
  } else if (origins.includes(origin)) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'origin');
    res.setHeader('access-control-allow-credentials', 'true');
  }
}

/** The client asks for Server-Sent Events: `text/event-stream` is among its accepted types. */
function acceptsEventStream(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept);
}

async function serveGraphQL<TContext extends BaseContext>(
  endpoint: GraphQLEndpoint<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
  info: RequestInfo,
  maxBodyBytes: number,
): Promise<void> {
  let body: unknown;
  if (req.method === 'POST') {
    let raw: string;
    try {
      raw = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        res.setHeader('connection', 'close');
        return sendGraphQLHttpError(res, 413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBodyBytes} bytes.`);
      }
      throw error;
    }
    const contentType = req.headers['content-type'] ?? '';
    if (contentType.includes('json')) {
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        return sendGraphQLHttpError(res, 400, 'BAD_REQUEST', 'The request body is not valid JSON.');
      }
    } else {
      body = raw;
    }
  }
  if (endpoint.eventStream && acceptsEventStream(req)) return endpoint.eventStream(req, res, info, body);
  const result = await withGraphQLOperationSpan(() =>
    endpoint.server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers: toHeaderMap(req), search: info.url.search, body },
      context: () => endpoint.context(req, info, body),
    }),
  );
  for (const [key, value] of result.headers) res.setHeader(key, value);
  res.statusCode = result.status ?? 200;
  if (result.body.kind === 'complete') {
    res.end(result.body.string);
    return;
  }
  for await (const chunk of result.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * The services' one HTTP transport: plain routes (health, JWKS, metrics) plus an Apollo
 * Server endpoint, request ids, body limits, CORS and one log line per request.
 */
export async function startHttpServer<TContext extends BaseContext>(options: HttpServerOptions<TContext>): Promise<RunningHttpServer> {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const routes = options.routes ?? {};
  let closing = false;
  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    // Draining: answer, then hang up, so keep-alive clients do not send more on this socket.
    if (closing) res.setHeader('connection', 'close');
    const incomingId = req.headers[REQUEST_ID_HEADER];
    const requestId = typeof incomingId === 'string' && SANE_REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
    res.setHeader(REQUEST_ID_HEADER, requestId);
    options.metrics?.httpInFlight.inc();
    res.on('close', () => {
      options.metrics?.httpInFlight.dec();
      // Draining: a keep-alive socket that just went idle is closed now, not at the grace deadline.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return sendJson(res, 400, { error: 'Bad request URL' });
    }
    const logger = options.logger;
    const info: RequestInfo = { requestId, url, logger };
    const scope: RequestScope = { requestId };
    const known = url.pathname === options.graphql?.path || Object.keys(routes).some((key) => key.endsWith(` ${url.pathname}`));
    // Everything the request does runs in its server span (log lines carry its ids).
    inHttpServerSpan(req, res, url.pathname, known ? url.pathname : undefined, () => {
      // The request line is written once the response is sent, outside the handler's async
      // context: back in the request's scope and trace, it carries the same ids as its other lines.
      const inRequestContext = AsyncResource.bind((write: () => void) => runInRequestScope(scope, write));
      res.on('finish', () => {
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        options.metrics?.httpRequestDuration.observe(
          { method: req.method ?? 'OTHER', route: known ? url.pathname : 'unknown', status: String(res.statusCode) },
          durationMs / 1000,
        );
        const line = { method: req.method, path: url.pathname, status: res.statusCode, durationMs: Math.round(durationMs * 10) / 10 };
        inRequestContext(() => {
          if (url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/metrics') logger.debug(line, 'request');
          else logger.info(line, 'request');
        });
      });
      applyCors(req, res, options.corsOrigins);
      if (req.method === 'OPTIONS' && options.corsOrigins) {
        res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
        res.setHeader(
          'access-control-allow-headers',
          req.headers['access-control-request-headers'] ?? 'content-type, authorization, apollo-require-preflight',
        );
        res.setHeader('access-control-max-age', '600');
        res.writeHead(204).end();
        return;
      }
      const handle = async () => {
        if (options.graphql && url.pathname === options.graphql.path) {
          return serveGraphQL(options.graphql, req, res, info, maxBodyBytes);
        }
        const route = routes[`${req.method} ${url.pathname}`];
        if (route) return route(req, res, info);
        const pathKnown = Object.keys(routes).some((key) => key.endsWith(` ${url.pathname}`));
        return sendJson(res, pathKnown ? 405 : 404, { error: pathKnown ? 'Method not allowed' : 'Not found' });
      };
      runInRequestScope(scope, handle).catch((error: unknown) => {
        logger.error({ err: error, requestId }, 'unhandled error in HTTP handler');
        if (!res.headersSent) sendGraphQLHttpError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
        else res.destroy();
      });
    });
  });
  server.on('connection', () => options.metrics?.httpConnections.inc());
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 65_000;
  // headersTimeout must exceed keepAliveTimeout or Node may cut a reused socket mid-request.
  server.headersTimeout = server.keepAliveTimeout + 5_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    server,
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        closing = true;
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
