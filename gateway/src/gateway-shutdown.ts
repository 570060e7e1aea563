import type { ApolloServer } from '@apollo/server';
import type { RunningHttpServer } from '@fedshop/shared/http';
import type { EdgeProtection } from './edge/edge-protection';
import type { GatewayContext } from './gateway-context';
import type { ResponseCache } from './response-cache/response-cache';
import type { GatewaySubscriptions } from './subscriptions/gateway-subscriptions';
import type { FederatedUpstream } from './upstream/federated-upstream';

/** What the gateway holds open behind its HTTP server. */
export interface GatewayInternals {
  /** Null until it has started: Apollo Server refuses to stop one that never started. */
  apollo: ApolloServer<GatewayContext> | null;
  upstream: FederatedUpstream;
  edge: EdgeProtection;
  /** Null when the response cache is off. */
  responseCache: ResponseCache | null;
}

/**
 * Closes what stands behind the HTTP server, once nothing comes through it any more: on stop,
 * and when a start fails halfway (so a failed start leaves no connection or timer behind).
 */
export async function closeGatewayInternals(internals: GatewayInternals): Promise<void> {
  await internals.apollo?.stop();
  await internals.upstream.close();
  await internals.edge.close();
  await internals.responseCache?.close();
}

/**
 * The gateway's stop, within `shutdownTimeoutMs` less the last second (the process exits at
 * `shutdownTimeoutMs` whatever happens): subscriptions end first, within half of it (events in
 * flight sent, then WebSocket 1012 / SSE SERVICE_UNAVAILABLE, docs/subscriptions.md); the HTTP
 * server drains in-flight requests with what is left; then what stood behind it closes. The
 * caller has made /readyz fail already.
 */
export async function drainGateway(
  parts: { subscriptions: GatewaySubscriptions; http: RunningHttpServer; internals: GatewayInternals },
  shutdownTimeoutMs: number,
): Promise<void> {
  const started = Date.now();
  await parts.subscriptions.drain(started + Math.max(500, (shutdownTimeoutMs - 1_000) / 2));
  await parts.http.close(Math.max(1_000, shutdownTimeoutMs - 1_000 - (Date.now() - started)));
  await closeGatewayInternals(parts.internals);
}
