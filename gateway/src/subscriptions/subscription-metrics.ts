import { Counter, Gauge, type Registry } from 'prom-client';

/** What the gateway counts about subscriptions (README, Observability). */
export interface SubscriptionMetrics {
  /** Subscriptions open now, by operation name (bounded: `anonymous`, `other` past 100 names). */
  active: Gauge<'operation' | 'transport'>;
  /** Events sent to subscribers (`delivered`), or discarded because their subscriber was cut off (`dropped`). */
  events: Counter<'operation' | 'result'>;
  /** Subscribers disconnected because they fell behind. */
  slowConsumers: Counter<'transport'>;
  /** Client connections open now (WebSocket connections, SSE streams). */
  connections: Gauge<'transport'>;
  /** Connections from the gateway to subgraphs carrying subscriptions (one per subgraph). */
  upstreamConnections: Gauge<'subgraph'>;
  /**
   * Subscriptions the gateway holds on subgraphs now: one per client subscription, or fewer
   * where identical ones of one caller share one (compare with `active`).
   */
  upstreamSubscriptions: Gauge<'subgraph'>;
  /** How subscriptions ended, by reason (complete, client, refused, unauthenticated, reload, upstream_gone, slow, shutdown). */
  ended: Counter<'reason'>;
}

export function createSubscriptionMetrics(registry: Registry): SubscriptionMetrics {
  return {
    active: new Gauge({
      name: 'gateway_subscriptions_active',
      help: 'Subscriptions open now, by operation name and transport (ws / sse).',
      labelNames: ['operation', 'transport'] as const,
      registers: [registry],
    }),
    events: new Counter({
      name: 'gateway_subscription_events_total',
      help: 'Subscription events, by operation and result (delivered / dropped).',
      labelNames: ['operation', 'result'] as const,
      registers: [registry],
    }),
    slowConsumers: new Counter({
      name: 'gateway_subscription_slow_consumers_total',
      help: 'Subscribers disconnected because their buffer was full.',
      labelNames: ['transport'] as const,
      registers: [registry],
    }),
    connections: new Gauge({
      name: 'gateway_subscription_connections',
      help: 'Client connections carrying subscriptions (WebSocket connections, SSE streams).',
      labelNames: ['transport'] as const,
      registers: [registry],
    }),
    upstreamConnections: new Gauge({
      name: 'gateway_subscription_upstream_connections',
      help: 'Connections from the gateway to subgraphs carrying subscriptions.',
      labelNames: ['subgraph'] as const,
      registers: [registry],
    }),
    upstreamSubscriptions: new Gauge({
      name: 'gateway_subscription_upstream_subscriptions',
      help: 'Subscriptions held on subgraphs now, by subgraph; identical subscriptions of one caller share one (SUBSCRIPTION_DEDUPLICATION).',
      labelNames: ['subgraph'] as const,
      registers: [registry],
    }),
    ended: new Counter({
      name: 'gateway_subscriptions_ended_total',
      help: 'Subscriptions ended, by reason.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}
