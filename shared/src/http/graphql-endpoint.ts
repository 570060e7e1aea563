import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { withGraphQLOperationSpan } from '../telemetry/graphql-operation-span';
import { readGraphQLBody } from './request-body';
import type { RequestInfo } from './routes';

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

/** Serves one request to the endpoint: GET and POST through Apollo Server, or as an event stream when asked for one. */
export async function serveGraphQL<TContext extends BaseContext>(
  endpoint: GraphQLEndpoint<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
  info: RequestInfo,
  maxBodyBytes: number,
): Promise<void> {
  let body: unknown;
  if (req.method === 'POST') {
    const read = await readGraphQLBody(req, res, maxBodyBytes);
    if (read === 'answered') return;
    body = read.body;
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

/** The client asks for Server-Sent Events: `text/event-stream` is among its accepted types. */
function acceptsEventStream(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept);
}

function toHeaderMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}
