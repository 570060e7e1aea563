import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { Gauge } from 'prom-client';

/** One subscription sent to a subgraph, exactly as it goes on the wire. */
export interface UpstreamSubscribe {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  /** The caller's headers for the subgraph (authorization, x-request-id, traceparent): each subscription carries its own. */
  headers: Record<string, string>;
}

/** What an upstream subscription reports, in order; after `error` or `complete`, nothing. */
export interface UpstreamSink {
  next(result: FormattedExecutionResult<Record<string, unknown>, Record<string, unknown>>): void;
  /** GraphQL errors the subgraph refused the subscription with (validation), or the connection's loss. */
  error(failure: { errors: readonly { message: string; extensions?: Record<string, unknown> }[] } | { connectionLost: unknown }): void;
  complete(): void;
}

export interface SubgraphSubscriptionClientOptions {
  /** The subgraph's name (metrics, logs). */
  name: string;
  /** Its HTTP routing URL; subscriptions go to the same path over WebSocket. */
  url: string;
  logger: Logger;
  /** Ping interval, ms; a pong missing for as long closes the connection (a stalled subgraph is noticed). Default 10000. */
  keepAliveMs?: number;
  upstreamConnections?: Gauge<'subgraph'>;
}

export interface SubgraphSubscriptionClient {
  readonly name: string;
  readonly url: string;
  subscribe(request: UpstreamSubscribe, sink: UpstreamSink): () => void;
  close(): Promise<void>;
}

/**
 * The gateway's subscriptions to one subgraph, all multiplexed over one WebSocket connection
 * (graphql-transport-ws), opened when the first subscription starts and closed when the last
 * one ends. Each subscription carries its caller's token in `extensions.headers`, which
 * the subgraph verifies exactly as for its HTTP requests. The connection is never retried
 * behind its subscriptions' backs: when it drops (the subgraph stopped, crashed, or stopped
 * answering pings), every subscription on it is told at once, and the gateway ends each one
 * with SERVICE_UNAVAILABLE so that its client subscribes again.
 */
export function createSubgraphSubscriptionClient(options: SubgraphSubscriptionClientOptions): SubgraphSubscriptionClient {
  const keepAliveMs = options.keepAliveMs ?? 10_000;
  const wsUrl = options.url.replace(/^http/, 'ws');
  let pongWait: NodeJS.Timeout | undefined;
  const client: Client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: true,
    // Closed as soon as its last subscription ends: graphql-ws keeps no timer behind that a stop would have to wait for.
    lazyCloseTimeout: 0,
    retryAttempts: 0,
    keepAlive: keepAliveMs,
    on: {
      connected: () => {
        options.upstreamConnections?.inc({ subgraph: options.name });
        options.logger.info({ subgraph: options.name, url: wsUrl }, 'subscriptions: connected to subgraph');
      },
      closed: (event) => {
        clearTimeout(pongWait);
        const code = (event as { code?: number }).code;
        options.logger.info({ subgraph: options.name, code }, 'subscriptions: subgraph connection closed');
      },
      ping: (received) => {
        if (received) return;
        // Our ping went out: no pong within the interval means the subgraph is gone.
        pongWait = setTimeout(() => client.terminate(), keepAliveMs);
      },
      pong: (received) => {
        if (received) clearTimeout(pongWait);
      },
    },
  });
  // `connected` counts up; a close after being connected counts down (a refused connect never counted).
  let connectedNow = false;
  client.on('connected', () => (connectedNow = true));
  client.on('closed', () => {
    if (connectedNow) options.upstreamConnections?.dec({ subgraph: options.name });
    connectedNow = false;
  });
  return {
    name: options.name,
    url: options.url,
    subscribe(request, sink) {
      return client.subscribe<Record<string, unknown>, Record<string, unknown>>(
        {
          query: request.query,
          operationName: request.operationName,
          variables: request.variables,
          extensions: { headers: request.headers },
        },
        {
          next: (result) => sink.next(result),
          error: (error: unknown) => {
            if (Array.isArray(error)) sink.error({ errors: error as { message: string }[] });
            else sink.error({ connectionLost: error });
          },
          complete: () => sink.complete(),
        },
      );
    },
    async close() {
      clearTimeout(pongWait);
      await client.dispose();
    },
  };
}
