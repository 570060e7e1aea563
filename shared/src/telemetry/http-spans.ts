import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

/**
 * HTTP spans written by our own transports, where the OpenTelemetry instrumentations would patch
 * `node:http` and listen on undici's diagnostics channels for every request. Both transports are
 * ours (the services' one HTTP server, the gateway's subgraph client), so the spans are made
 * where the request is handled, with the stable HTTP semantic conventions' attributes, and
 * attributes are built only for spans that are recorded. Measured on the gateway (distinct
 * requests, BENCHMARKS.md): the two instrumentations cost a third of its CPU per request.
 */
const tracer = trace.getTracer('@fedshop/http');

/** Probe and scrape routes: answered thousands of times a day, never worth a trace. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Runs `handle` for one incoming request inside its HTTP server span: the caller's W3C
 * `traceparent` is continued (a client, or the gateway calling a subgraph), the span is the
 * active context of everything the request does (log lines carry its ids), and it ends when
 * the response is finished or the connection closes. `route` is the path when the server
 * knows it (`POST /graphql`), undefined for unknown paths (the span is named by the method
 * alone, so that scanners' paths do not each become a span name).
 */
export function inHttpServerSpan<T>(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  route: string | undefined,
  handle: () => T,
): T {
  if (UNTRACED_PATHS.has(path)) return handle();
  const method = req.method ?? 'GET';
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const span = tracer.startSpan(route ? `${method} ${route}` : method, { kind: SpanKind.SERVER }, parent);
  if (span.isRecording()) {
    span.setAttributes({
      'http.request.method': method,
      'url.path': path,
      'url.scheme': 'http',
      'server.port': req.socket.localPort ?? 0,
      'network.protocol.version': req.httpVersion,
      ...(route ? { 'http.route': route } : {}),
      ...(req.socket.remoteAddress ? { 'client.address': req.socket.remoteAddress } : {}),
      ...(typeof req.headers['user-agent'] === 'string' ? { 'user_agent.original': req.headers['user-agent'] } : {}),
    });
  }
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    if (span.isRecording()) {
      span.setAttribute('http.response.status_code', res.statusCode);
      // Server side, only 5xx is the server's failure (semantic conventions); an aborted response is one too.
      if (res.statusCode >= 500 || !res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  };
  res.once('finish', end);
  res.once('close', end);
  return context.with(trace.setSpan(parent, span), handle);
}

/** `server.address` and `server.port` of each subgraph URL, parsed once. */
const serverOfUrl = new Map<string, { address: string; port: number }>();

function serverOf(url: string): { address: string; port: number } {
  let server = serverOfUrl.get(url);
  if (!server) {
    const parsed = new URL(url);
    server = { address: parsed.hostname, port: Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80)) };
    serverOfUrl.set(url, server);
  }
  return server;
}

/** An outgoing request's client span; `end` once its answer (or failure) is known. */
export interface HttpClientSpan {
  /** The request's headers with the W3C `traceparent` of this span added (a copy). */
  headers: Record<string, string>;
  end(outcome: { status: number } | { error: unknown }): void;
}

/**
 * Starts the client span of one outgoing HTTP request, a child of the active context, and
 * gives the headers to send with its `traceparent`, so the server's span continues it.
 */
export function startHttpClientSpan(method: string, url: string, headers: Record<string, string>): HttpClientSpan {
  const span: Span = tracer.startSpan(method, { kind: SpanKind.CLIENT });
  if (span.isRecording()) {
    const server = serverOf(url);
    span.setAttributes({ 'http.request.method': method, 'url.full': url, 'server.address': server.address, 'server.port': server.port });
  }
  const withTraceparent = { ...headers };
  propagation.inject(trace.setSpan(context.active(), span), withTraceparent);
  return {
    headers: withTraceparent,
    end(outcome) {
      if (span.isRecording()) {
        if ('status' in outcome) {
          span.setAttribute('http.response.status_code', outcome.status);
          if (outcome.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
        } else {
          const error = outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
          span.recordException(error);
          span.setAttribute('error.type', error.name);
          span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        }
      }
      span.end();
    },
  };
}
