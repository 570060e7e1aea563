import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Adds the CORS headers the request's origin is entitled to (`corsOrigins` of the HTTP server's
 * options), and answers a preflight (OPTIONS) itself. True when it has answered the request.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, origins: '*' | string[] | undefined): boolean {
  allowOrigin(req, res, origins);
  if (req.method !== 'OPTIONS' || !origins) return false;
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  res.setHeader(
    'access-control-allow-headers',
    req.headers['access-control-request-headers'] ?? 'content-type, authorization, apollo-require-preflight',
  );
  res.setHeader('access-control-max-age', '600');
  res.writeHead(204).end();
  return true;
}

function allowOrigin(req: IncomingMessage, res: ServerResponse, origins: '*' | string[] | undefined): void {
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
