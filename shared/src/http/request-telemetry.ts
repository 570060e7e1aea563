import { AsyncResource } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { runInRequestScope, type RequestScope } from '../context/request-scope';
import type { ServiceMetrics } from '../metrics/metrics';

/** Polled every few seconds by probes and scrapers: their lines are debug, so they do not bury the requests'. */
const POLLED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Once the response is sent: its duration in the metrics and one log line. Paths no route
 * serves are measured as `unknown`, so that scanners cannot mint label values. Call it while
 * serving the request, in its async context.
 */
export function recordWhenSent(
  req: IncomingMessage,
  res: ServerResponse,
  request: { url: URL; known: boolean; scope: RequestScope; startedAt: bigint; logger: Logger; metrics?: ServiceMetrics },
): void {
  const { url, logger } = request;
  // The request line is written once the response is sent, outside the handler's async
  // context: back in the request's scope and trace, it carries the same ids as its other lines.
  const inRequestContext = AsyncResource.bind((write: () => void) => runInRequestScope(request.scope, write));
  res.on('finish', () => {
    const durationMs = Number(process.hrtime.bigint() - request.startedAt) / 1e6;
    request.metrics?.httpRequestDuration.observe(
      { method: req.method ?? 'OTHER', route: request.known ? url.pathname : 'unknown', status: String(res.statusCode) },
      durationMs / 1000,
    );
    const line = { method: req.method, path: url.pathname, status: res.statusCode, durationMs: Math.round(durationMs * 10) / 10 };
    inRequestContext(() => {
      if (POLLED_PATHS.has(url.pathname)) logger.debug(line, 'request');
      else logger.info(line, 'request');
    });
  });
}
