import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { AppError, serviceUnavailable, REQUEST_ID_HEADER } from '@fedshop/shared';
import type { Histogram } from 'prom-client';
import { Agent, fetch } from 'undici';
import type { GatewayContext } from '../gateway-context';
import type { SubgraphFetchResult } from './subgraph-fetch-metrics';

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
  /** Where each fetch's duration and result are recorded (subgraph-fetch-metrics.ts). */
  metrics?: Histogram<'subgraph' | 'result'>;
}

/**
 * Calls one subgraph: forwards the caller's token (each subgraph verifies it again) and
 * request id, reuses pooled connections, and turns network failures and timeouts into
 * SERVICE_UNAVAILABLE for the affected part of the response. Each fetch is measured per
 * subgraph; its client span and `traceparent` come from the undici instrumentation.
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

  override async process(
    options: GraphQLDataSourceProcessOptions<GatewayContext>,
  ): ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']> {
    const started = performance.now();
    let result: SubgraphFetchResult = 'error';
    try {
      const response = await super.process(options);
      result = response.errors?.length ? 'graphql_error' : 'success';
      return response;
    } catch (error) {
      if (error instanceof AppError && error.code === 'SERVICE_UNAVAILABLE') result = 'unavailable';
      throw error;
    } finally {
      this.options.metrics?.observe({ subgraph: this.options.name, result }, (performance.now() - started) / 1000);
    }
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers || !context) return;
    if ('token' in context && context.token) headers.set('authorization', `Bearer ${context.token}`);
    if ('requestId' in context && context.requestId) headers.set(REQUEST_ID_HEADER, context.requestId);
  }
}
