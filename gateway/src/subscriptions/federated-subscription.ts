import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { AppError, serviceUnavailable } from '@fedshop/shared/errors';
import { createAsyncEventQueue, type AsyncEventQueue } from '@fedshop/shared/live-events';
import { withLinkedEventSpan } from '@fedshop/shared/telemetry';
import { GraphQLError, type ExecutionResult, type FormattedExecutionResult } from 'graphql';
import type { Gauge } from 'prom-client';
import type { GatewayContext } from '../gateway-context';
import type { SubgraphSubscriptionClient, UpstreamSink } from '../upstream/subgraph-subscription-client';
import type { SubscriptionPlan } from './subscription-planner';

/** What ends a subscription from the gateway's side, with the error its subscriber is sent last. */
export class SubscriptionEnd extends Error {
  constructor(
    readonly reason: 'unauthenticated' | 'reload' | 'upstream_gone' | 'shutdown',
    readonly error: AppError | GraphQLError,
  ) {
    super(error.message);
    this.name = 'SubscriptionEnd';
  }
}

export interface FederatedSubscriptionOptions {
  plan: SubscriptionPlan;
  /** The subgraph client of the plan's primary fetch. */
  upstream: SubgraphSubscriptionClient;
  /** Data sources of every subgraph, for the entity fetches of each event. */
  services: ServiceMap;
  /** The context of the subscriber that started it; every subscriber attached later has the same token. */
  context: GatewayContext;
  /** The client's request: its document, variables and operation name. */
  request: { query: string; variables: Record<string, unknown>; operationName: string | undefined };
  /** The subgraph headers of this caller (authorization, x-request-id of the subscriber that started it). */
  headers: Record<string, string>;
  /** Subscriptions held on subgraphs now (`gateway_subscription_upstream_subscriptions{subgraph}`). */
  upstreamSubscriptions?: Gauge<'subgraph'>;
  /** Runs once, when the upstream subscription ends (its last subscriber left, or the subgraph ended it). */
  onFinished?(): void;
}

/** One subscriber of a federated subscription: its own bounded queue and its own end. */
export interface SubscriberFeed {
  /** Results for this subscriber, in the order the subgraph sent its events; `return` detaches it. */
  results: AsyncEventQueue<ExecutionResult>;
  /** Ends this subscriber alone, after the events already received for it are resolved: `end` is its last result. */
  end(end: SubscriptionEnd): void;
  /** Resolves once every event received so far was resolved and handed over. */
  idle(): Promise<void>;
  /** Events received for this subscriber but not yet handed over (being resolved, or waiting in its queue). */
  backlog(): number;
}

export interface FederatedSubscription {
  /**
   * Attaches a subscriber with its own buffer: it gets the results of the events received from
   * now on. `capacity` events waiting for it (being resolved or unread) and one more ends it
   * alone: `onOverflow` is called and its transport disconnects it. Throws once finished.
   */
  attach(subscriber: { capacity: number; onOverflow: () => void }): SubscriberFeed;
  /** The plan it runs under now. */
  readonly plan: SubscriptionPlan;
  /** Swaps in the plan of a new supergraph version (same primary: the upstream subscription goes on). */
  replan(plan: SubscriptionPlan): void;
  /** True once its upstream subscription ended: nobody may attach any more. */
  readonly finished: boolean;
  /** Subscribers attached now. */
  readonly subscribers: number;
  /** Why the upstream side ended it, if it did: the subgraph refused it, or its connection was lost. */
  upstreamEnd(): 'refused' | 'upstream_gone' | undefined;
}

interface Subscriber {
  queue: AsyncEventQueue<ExecutionResult>;
  capacity: number;
  /** Events received for it that are still being resolved. */
  inFlight: number;
  onOverflow(): void;
}

const asErrorResult = (error: AppError | GraphQLError): ExecutionResult => ({
  errors: [error instanceof GraphQLError ? error : new GraphQLError(error.message, { originalError: error })],
});

/**
 * One federated subscription: once its first subscriber attaches, it subscribes to the
 * subgraph that owns the root field (the plan's primary fetch) and, for every event it sends, runs the rest of the plan — entity
 * fetches to other subgraphs — through Apollo Gateway's own query-plan executor, so fields
 * owned elsewhere (`user { name tier }`) are resolved for each event exactly as for a query:
 * the same data sources, error handling and result shaping. Events are resolved one at a time,
 * in the order received; each in a span linked to the trace of the write that caused it.
 *
 * Each event is resolved once and its result handed to every subscriber attached when it
 * arrived (identical subscriptions of one caller share it: subscription-deduplication.ts);
 * each subscriber has its own bounded queue, so one that falls behind is cut off alone. The
 * upstream subscription ends with its last subscriber, or ends them all (the subgraph refused
 * or completed it, or its connection was lost), each with the same last result.
 */
export function createFederatedSubscription(options: FederatedSubscriptionOptions): FederatedSubscription {
  let plan = options.plan;
  let unsubscribe: () => void = () => undefined;
  let chain: Promise<void> = Promise.resolve();
  let subscribed = false;
  let finished = false;
  let upstreamEnd: 'refused' | 'upstream_gone' | undefined;
  /** Subscribers that get the events received from now on. */
  const subscribers = new Set<Subscriber>();
  const subgraph = plan.primary.serviceName;

  const requestContext = (): GatewayGraphQLRequestContext<GatewayContext> =>
    ({
      request: { query: options.request.query, variables: options.request.variables, operationName: options.request.operationName },
      context: options.context,
      logger: undefined,
      metrics: {},
      operationName: options.request.operationName ?? null,
      source: options.request.query,
    }) as unknown as GatewayGraphQLRequestContext<GatewayContext>;

  /** The data sources for one event: the primary fetch answers with the event itself. */
  const servicesFor = (event: FormattedExecutionResult): ServiceMap => {
    const primary = plan.primary;
    const real = options.services[primary.serviceName];
    const withEvent: GraphQLDataSource = {
      process: (request) =>
        request.request.query === primary.operation
          ? // The event is the owning subgraph's answer to the primary fetch: hand it over as that fetch's response.
            Promise.resolve({ data: event.data ?? null, ...(event.errors ? { errors: event.errors } : {}) } as Awaited<
              ReturnType<GraphQLDataSource['process']>
            >)
          : real!.process(request),
    };
    return { ...options.services, [primary.serviceName]: withEvent };
  };

  const resolve = async (event: FormattedExecutionResult, recipients: number): Promise<ExecutionResult> => {
    const traceparent = typeof event.extensions?.traceparent === 'string' ? event.extensions.traceparent : undefined;
    return withLinkedEventSpan(
      'gateway subscription event',
      traceparent,
      {
        'graphql.operation.type': 'subscription',
        ...(options.request.operationName ? { 'graphql.operation.name': options.request.operationName } : {}),
        'fedshop.subscription.subscribers': recipients,
      },
      async () => {
        const current = plan;
        const queryPlan = {
          kind: 'QueryPlan' as const,
          node: current.rest ? { kind: 'Sequence' as const, nodes: [current.primary, current.rest] } : current.primary,
        };
        const response = await executeQueryPlan(
          queryPlan,
          servicesFor(event),
          requestContext(),
          current.operationContext,
          current.version.supergraphSchema,
          current.version.apiSchema,
        );
        const { extensions: _extensions, ...result } = response;
        return result as ExecutionResult;
      },
    );
  };

  /** Resolves `work` after everything received before it, and hands its result to `recipients` (then ends them if `last`). */
  const enqueue = (work: () => Promise<ExecutionResult | null>, recipients: Subscriber[], last = false) => {
    for (const recipient of recipients) recipient.inFlight++;
    chain = chain.then(work).then(
      (result) => {
        for (const recipient of recipients) {
          recipient.inFlight--;
          if (result && !recipient.queue.ended) recipient.queue.push(result);
          if (last) recipient.queue.end();
        }
      },
      (error: unknown) => {
        const failure = asErrorResult(
          error instanceof AppError || error instanceof GraphQLError
            ? error
            : new GraphQLError('Internal server error', { originalError: error as Error }),
        );
        for (const recipient of recipients) {
          recipient.inFlight--;
          recipient.queue.push(failure);
          recipient.queue.end();
        }
      },
    );
  };

  /** Ends the upstream subscription (no subscriber left, or the subgraph ended it). */
  const finish = () => {
    if (finished) return;
    finished = true;
    unsubscribe();
    options.upstreamSubscriptions?.dec({ subgraph });
    options.onFinished?.();
  };

  /** Stops sending new events to a subscriber; the upstream subscription ends with the last one. */
  const detach = (subscriber: Subscriber) => {
    if (!subscribers.delete(subscriber)) return;
    if (subscribers.size === 0) finish();
  };

  /** The upstream side ended: every subscriber gets `last` (after the events before it), then its end. */
  const endAll = (last: (recipients: number) => Promise<ExecutionResult | null>) => {
    if (finished) return;
    const recipients = [...subscribers];
    subscribers.clear();
    finish();
    enqueue(() => last(recipients.length), recipients, true);
  };

  const sink: UpstreamSink = {
    next(event) {
      if (finished) return;
      const recipients: Subscriber[] = [];
      for (const subscriber of subscribers) {
        if (subscriber.inFlight + subscriber.queue.size >= subscriber.capacity) {
          // This subscriber fell behind: it alone is cut off, the others go on.
          detach(subscriber);
          subscriber.queue.end();
          subscriber.onOverflow();
        } else {
          recipients.push(subscriber);
        }
      }
      if (recipients.length > 0) enqueue(() => resolve(event, recipients.length), recipients);
    },
    error(failure) {
      upstreamEnd = 'errors' in failure ? 'refused' : 'upstream_gone';
      if ('errors' in failure) {
        // The subgraph refused the subscription: its errors go through the plan like an event's.
        endAll((recipients) => resolve({ data: null, errors: failure.errors }, recipients));
      } else {
        endAll(async () => asErrorResult(serviceUnavailable(`The ${subgraph} service is unavailable; subscribe again shortly.`)));
      }
    },
    complete() {
      endAll(async () => null);
    },
  };
  /** Subscribes upstream, when the first subscriber attaches. */
  const subscribeUpstream = () => {
    options.upstreamSubscriptions?.inc({ subgraph });
    const stop = options.upstream.subscribe(
      {
        query: plan.primary.operation,
        operationName: plan.primary.operationName,
        variables: Object.fromEntries(
          (plan.primary.variableUsages ?? [])
            .filter((name) => name in options.request.variables)
            .map((name) => [name, options.request.variables[name]]),
        ),
        headers: options.headers,
      },
      sink,
    );
    if (finished) stop();
    else unsubscribe = stop;
  };

  return {
    attach({ capacity, onOverflow }) {
      if (finished) throw new Error('the federated subscription has ended');
      const subscriber: Subscriber = {
        // One more than the capacity: the last result that says why it ended always fits.
        queue: createAsyncEventQueue<ExecutionResult>({ capacity: capacity + 1, onReturn: () => detach(subscriber) }),
        capacity,
        inFlight: 0,
        onOverflow,
      };
      subscribers.add(subscriber);
      if (!subscribed) {
        subscribed = true;
        subscribeUpstream();
      }
      return {
        results: subscriber.queue,
        end(end) {
          if (!subscribers.has(subscriber)) return;
          detach(subscriber);
          enqueue(async () => asErrorResult(end.error), [subscriber], true);
        },
        idle: () => chain,
        backlog: () => subscriber.inFlight + subscriber.queue.size,
      };
    },
    get plan() {
      return plan;
    },
    replan(next) {
      plan = next;
    },
    get finished() {
      return finished;
    },
    get subscribers() {
      return subscribers.size;
    },
    upstreamEnd: () => upstreamEnd,
  };
}
