import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { serviceUnavailable, REQUEST_ID_HEADER } from '@fedshop/shared';
import { Agent, fetch } from 'undici';
import type { GatewayContext } from '../gateway-context';

/**
 * One keep-alive connection pool for all subgraph calls. Idle sockets are dropped after 4 s,
 * before the subgraphs' own 65 s keep-alive ends, so a request never lands on a socket the
 * other side is closing (the ECONNRESETs of apollographql/federation#2313).
 */
export function createSubgraphAgent(): Agent {
  return new Agent({ keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000, connections: 128 });
}

export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  agent: Agent;
  /** A subgraph call taking longer is abandoned: the client gets partial data and an error. */
  timeoutMs: number;
}

/**
 * Calls one subgraph: forwards the caller's token (each subgraph verifies it again) and
 * request id, reuses pooled connections, and turns network failures and timeouts into
 * SERVICE_UNAVAILABLE for the affected part of the response.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(private readonly options: SubgraphDataSourceOptions) {
    super({
      url: options.url,
      fetcher: (async (url: string, init: RequestInit) => {
        try {
          return await fetch(url, {
            ...(init as Parameters<typeof fetch>[1]),
            dispatcher: options.agent,
            signal: AbortSignal.timeout(options.timeoutMs),
          });
        } catch (error) {
          throw serviceUnavailable(`The ${options.name} service is unavailable, try again shortly.`, { cause: error });
        }
      }) as never,
    });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers || !context) return;
    if ('token' in context && context.token) headers.set('authorization', `Bearer ${context.token}`);
    if ('requestId' in context && context.requestId) headers.set(REQUEST_ID_HEADER, context.requestId);
  }
}
