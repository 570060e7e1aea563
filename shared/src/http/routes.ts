import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendJson } from './send-json';

export interface RequestInfo {
  requestId: string;
  url: URL;
  /** The service's logger: lines written while serving the request carry its ids (logging/logger.ts). */
  logger: Logger;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, info: RequestInfo) => Promise<void> | void;

/** Some route serves `pathname`, with whatever method. */
export function routesServePath(routes: Record<string, RouteHandler>, pathname: string): boolean {
  return Object.keys(routes).some((key) => key.endsWith(` ${pathname}`));
}

/** Serves the request with its route (`"METHOD /path"`); else 405 when the path has routes for other methods, 404 when none. */
export async function serveRoute(
  routes: Record<string, RouteHandler>,
  req: IncomingMessage,
  res: ServerResponse,
  info: RequestInfo,
): Promise<void> {
  const route = routes[`${req.method} ${info.url.pathname}`];
  if (route) return route(req, res, info);
  const pathKnown = routesServePath(routes, info.url.pathname);
  return sendJson(res, pathKnown ? 405 : 404, { error: pathKnown ? 'Method not allowed' : 'Not found' });
}
