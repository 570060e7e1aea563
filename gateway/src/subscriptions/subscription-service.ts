import { randomUUID } from 'node:crypto';
import type { ServiceMap } from '@apollo/gateway';
import { REQUEST_ID_HEADER } from '@fedshop/shared/http';
import { AppError, unauthenticated } from '@fedshop/shared/errors';
import { boundedLabel } from '@fedshop/shared/metrics';
import { QueueOverflowError } from '@fedshop/shared/live-events';
import { currentTraceparent } from '@fedshop/shared/telemetry';
import { GraphQLError, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { addressBucketKey } from '../edge/client-address';
import type { GatewayContext } from '../gateway-context';
import type { SubgraphSubscriptionClient } from '../upstream/subgraph-subscription-client';
import { SubscriptionEnd, createFederatedSubscription, type FederatedSubscription, type SubscriberFeed } from './federated-subscription';
import type { AdmittedSubscription, SubscriptionCaller } from './subscription-admission';
import { SubscriptionRefusal } from './subscription-admission';
import type { SubscriptionDeduplication } from './subscription-deduplication';
import type { SubscriptionMetrics } from './subscription-metrics';
import { samePrimary, type SubscriptionPlanner } from './subscription-planner';

export type SubscriptionTransport = 'ws' | 'sse';

/** One result as the client receives it. */
export interface FormattedResult {
  data?: unknown;
  errors?: GraphQLFormattedError[];
}

export interface SubscriptionLimits {
  /** Concurrent subscriptions per account (anonymous callers: per client address) on this replica. Default 10 (SUBSCRIPTIONS_PER_USER). */
  perCaller: number;
  /** Concurrent WebSocket connections and SSE streams per client address on this replica (WS_CONNECTIONS_PER_IP). */
  connectionsPerAddress: number;
  /** Events one subscriber may have waiting before it is disconnected as too slow (SUBSCRIPTION_BUFFER). */
  buffer: number;
  /** Ping interval to clients, ms (SUBSCRIPTION_KEEPALIVE_MS, 12000). */
  keepAliveMs: number;
}

/** One subscription being served. */
export interface ActiveSubscription {
  readonly caller: SubscriptionCaller;
  readonly transport: SubscriptionTransport;
  /** Results formatted for the client (errors through the gateway's formatter), in order; `return` stops it. */
  readonly results: AsyncIterableIterator<FormattedResult>;
  /** Ends it from the gateway's side: `end.error` is the subscriber's last result. */
  end(end: SubscriptionEnd): void;
  /** Resolves once the events received so far were handed to the transport. */
  idle(): Promise<void>;
}

export interface SubscriptionServiceOptions {
  planner: SubscriptionPlanner;
  /** The data sources of the subgraphs (the same as queries use). */
  services: () => ServiceMap;
  /** The subscription client of a subgraph (one connection per subgraph). */
  upstream: (subgraph: string, url: string) => SubgraphSubscriptionClient;
  /** Identical subscriptions of one caller sharing one upstream subscription (or none, when off). */
  deduplication: SubscriptionDeduplication;
  limits: SubscriptionLimits;
  metrics: SubscriptionMetrics;
  /** The edge's refusal counter (`gateway_rejected_operations_total{code}`), for the caps' refusals. */
  rejections: Counter<'code'>;
  logger: Logger;
  /** The gateway's one error formatter. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  now?: () => number;
}

interface Entry {
  /** The federated subscription it is attached to (shared with identical ones of its caller). */
  federated: FederatedSubscription;
  feed: SubscriberFeed;
  admitted: AdmittedSubscription;
  operation: string;
  transport: SubscriptionTransport;
  subscription: ActiveSubscription;
}

/**
 * Everything subscriptions share across transports: the caps (per account, per address), the
 * subscriptions themselves (started, counted, logged like requests, re-planned when the
 * supergraph changes, ended on shutdown) and the formatting of what clients receive.
 */
export function createSubscriptionService(options: SubscriptionServiceOptions) {
  const { metrics, logger } = options;
  const now = options.now ?? Date.now;
  const operationLabel = boundedLabel();
  const perCaller = new Map<string, number>();
  const perAddress = new Map<string, number>();
  const active = new Set<Entry>();
  let accepting = true;

  const count = (map: Map<string, number>, key: string, delta: number) => {
    const next = (map.get(key) ?? 0) + delta;
    if (next <= 0) map.delete(key);
    else map.set(key, next);
  };
  const callerKey = (caller: SubscriptionCaller) =>
    caller.viewer ? `user:${caller.viewer.id}` : `ip:${addressBucketKey(caller.clientAddress)}`;

  const formatResult = (result: ExecutionResult) => {
    const formatted: FormattedResult = {};
    if (result.errors?.length) {
      formatted.errors = result.errors.map((error) => {
        const graphQLError = error instanceof GraphQLError ? error : new GraphQLError(String((error as Error).message ?? error));
        return options.formatError(graphQLError.toJSON(), graphQLError);
      });
    }
    if ('data' in result) formatted.data = result.data;
    return formatted;
  };

  return {
    get accepting() {
      return accepting;
    },

    /** Takes one of the address's connection slots; false when they are all taken (the transport refuses with its code). */
    openConnection(address: string, transport: SubscriptionTransport): boolean {
      const key = addressBucketKey(address);
      if (!accepting) return false;
      if ((perAddress.get(key) ?? 0) >= options.limits.connectionsPerAddress) {
        options.rejections.inc({ code: 'TOO_MANY_CONNECTIONS' });
        return false;
      }
      count(perAddress, key, 1);
      metrics.connections.inc({ transport });
      return true;
    },

    closeConnection(address: string, transport: SubscriptionTransport): void {
      count(perAddress, addressBucketKey(address), -1);
      metrics.connections.dec({ transport });
    },

    /**
     * Starts an admitted subscription: takes one of its caller's slots (TOO_MANY_SUBSCRIPTIONS
     * past the cap), joins the running identical subscription of its caller or subscribes
     * upstream with the caller's token, and counts it. `onOverflow` is called when its
     * subscriber falls `buffer` events behind.
     */
    start(
      caller: SubscriptionCaller,
      admitted: AdmittedSubscription,
      meta: { transport: SubscriptionTransport; requestId: string; onOverflow: () => void },
    ): ActiveSubscription {
      if (!accepting) {
        throw new SubscriptionRefusal(
          [
            new GraphQLError('The gateway is shutting down; subscribe again.', {
              originalError: new AppError('SERVICE_UNAVAILABLE', 'The gateway is shutting down; subscribe again.', { retryable: true }),
            }),
          ],
          503,
        );
      }
      const key = callerKey(caller);
      if ((perCaller.get(key) ?? 0) >= options.limits.perCaller) {
        options.rejections.inc({ code: 'TOO_MANY_SUBSCRIPTIONS' });
        const error = new AppError('TOO_MANY_SUBSCRIPTIONS', `At most ${options.limits.perCaller} subscriptions may be open at once.`, {
          limit: options.limits.perCaller,
        });
        throw new SubscriptionRefusal([new GraphQLError(error.message, { originalError: error })], 429);
      }
      count(perCaller, key, 1);
      const operation = operationLabel(admitted.operationName ?? 'anonymous');
      const started = now();
      let delivered = 0;
      let endReason = 'complete';
      const context: GatewayContext = {
        requestId: meta.requestId,
        token: caller.token,
        viewer: caller.viewer,
        clientAddress: caller.clientAddress,
        rateLimit: null,
      };
      const headers: Record<string, string> = { [REQUEST_ID_HEADER]: meta.requestId };
      if (caller.token) headers.authorization = `Bearer ${caller.token}`;
      const traceparent = currentTraceparent();
      if (traceparent) headers.traceparent = traceparent;
      const plan = admitted.plan;
      const { federated, shared } = options.deduplication.acquire(caller, admitted, (onFinished) =>
        createFederatedSubscription({
          plan,
          upstream: options.upstream(plan.primary.serviceName, plan.primaryUrl),
          services: options.services(),
          context,
          request: { query: admitted.query, variables: admitted.variables, operationName: admitted.operationName },
          headers,
          upstreamSubscriptions: metrics.upstreamSubscriptions,
          onFinished,
        }),
      );
      const feed = federated.attach({
        capacity: options.limits.buffer,
        onOverflow: () => {
          endReason = 'slow';
          meta.onOverflow();
        },
      });
      metrics.active.inc({ operation, transport: meta.transport });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        if (endReason === 'complete') endReason = federated.upstreamEnd() ?? endReason;
        active.delete(entry);
        count(perCaller, key, -1);
        metrics.active.dec({ operation, transport: meta.transport });
        const dropped = feed.backlog();
        if (dropped > 0) metrics.events.inc({ operation, result: 'dropped' }, dropped);
        metrics.ended.inc({ reason: endReason });
        logger.info(
          {
            requestId: meta.requestId,
            userId: caller.viewer?.id,
            operation,
            transport: meta.transport,
            events: delivered,
            dropped,
            reason: endReason,
            durationMs: now() - started,
          },
          'subscription',
        );
      };
      // An iterator object rather than a generator: its `return` releases the subscription even
      // when the transport stops it before reading anything.
      const iterator: AsyncIterableIterator<FormattedResult> = {
        async next() {
          try {
            const next = await feed.results.next();
            if (next.done) {
              release();
              return { done: true, value: undefined };
            }
            delivered++;
            metrics.events.inc({ operation, result: 'delivered' });
            return { done: false, value: formatResult(next.value) };
          } catch (error) {
            release();
            if (error instanceof QueueOverflowError) return { done: true, value: undefined };
            throw error;
          }
        },
        async return() {
          // Stopped by its transport: the client left, or the gateway is closing connections.
          if (endReason === 'complete' && !feed.results.ended) endReason = accepting ? 'client' : 'shutdown';
          await feed.results.return?.();
          release();
          return { done: true, value: undefined };
        },
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      const subscription: ActiveSubscription = {
        caller,
        transport: meta.transport,
        results: iterator,
        end(end) {
          endReason = end.reason;
          feed.end(end);
        },
        idle: () => feed.idle(),
      };
      const entry: Entry = { federated, feed, admitted, operation, transport: meta.transport, subscription };
      active.add(entry);
      logger.debug(
        { requestId: meta.requestId, userId: caller.viewer?.id, operation, transport: meta.transport, shared },
        'subscription started',
      );
      return subscription;
    },

    /** Ends the subscriptions of an expired token with UNAUTHENTICATED. */
    expire(subscriptions: Iterable<ActiveSubscription>): void {
      for (const subscription of subscriptions) {
        subscription.end(
          new SubscriptionEnd('unauthenticated', unauthenticated('The access token has expired; subscribe again with a new one.')),
        );
      }
    },

    /**
     * A new supergraph version was applied: each subscription is planned again; one whose
     * document still validates and whose upstream part is unchanged goes on under the new plan
     * (its subgraph subscription untouched); any other ends with SUBSCRIPTION_SCHEMA_RELOAD.
     */
    reload(validate: (admitted: AdmittedSubscription) => readonly GraphQLError[]): { kept: number; ended: number } {
      let kept = 0;
      let ended = 0;
      for (const entry of active) {
        let next;
        try {
          if (validate(entry.admitted).length > 0) throw new Error('no longer valid');
          next = options.planner.plan(entry.admitted.document, entry.admitted.operationName, entry.admitted.key);
        } catch {
          next = undefined;
        }
        if (next && samePrimary(entry.admitted.plan, next)) {
          entry.admitted = { ...entry.admitted, plan: next };
          entry.federated.replan(next);
          kept++;
        } else {
          ended++;
          entry.subscription.end(
            new SubscriptionEnd(
              'reload',
              new AppError('SUBSCRIPTION_SCHEMA_RELOAD', 'The subscription was ended by a change of the schema; subscribe again.'),
            ),
          );
        }
      }
      if (kept + ended > 0) logger.info({ kept, ended }, 'supergraph changed: subscriptions re-planned');
      return { kept, ended };
    },

    /** Stops taking subscriptions and connections (shutdown). */
    stopAccepting(): void {
      accepting = false;
    },

    /** Resolves once every subscription has handed over the events it had received (bounded by the caller). */
    async idle(): Promise<void> {
      await Promise.all([...active].map((entry) => entry.feed.idle()));
    },

    size: () => active.size,

    newRequestId: () => randomUUID(),
  };
}

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;
