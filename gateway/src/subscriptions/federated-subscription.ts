import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { AppError, serviceUnavailable } from '@fedshop/shared/errors';
import { createAsyncEventQueue, type AsyncEventQueue } from '@fedshop/shared/live-events';
import { withLinkedEventSpan } from '@fedshop/shared/telemetry';
import { GraphQLError, type ExecutionResult, type FormattedExecutionResult } from 'graphql';
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
  context: GatewayContext;
  /** The client's request: its document, variables and operation name. */
  request: { query: string; variables: Record<string, unknown>; operationName: string | undefined };
  /** Events one subscriber may have waiting (being resolved or unsent); one more ends it (`onOverflow`). */
  capacity: number;
  /** The subgraph headers of this caller (authorization, x-request-id). */
  headers: Record<string, string>;
  /** The subscriber fell behind: `capacity` events waited. The transport disconnects it. */
  onOverflow(): void;
}

export interface FederatedSubscription {
  /** Results for the subscriber, in the order the subgraph sent its events. */
  results: AsyncEventQueue<ExecutionResult>;
  /** Swaps in the plan of a new supergraph version (same primary: the upstream subscription goes on). */
  replan(plan: SubscriptionPlan): void;
  /** Ends it after the events already received are resolved: `end` is the subscriber's last result. */
  end(end: SubscriptionEnd): void;
  /** Resolves once every event received so far was resolved and handed over. */
  idle(): Promise<void>;
  /** Events received but not yet handed over. */
  backlog(): number;
  /** Why the upstream side ended it, if it did: the subgraph refused it, or its connection was lost. */
  upstreamEnd(): 'refused' | 'upstream_gone' | undefined;
}

const asErrorResult = (error: AppError | GraphQLError): ExecutionResult => ({
  errors: [error instanceof GraphQLError ? error : new GraphQLError(error.message, { originalError: error })],
});

/**
 * Runs one federated subscription: subscribes to the subgraph that owns the root field (the
 * plan's primary fetch) and, for every event it sends, runs the rest of the plan — entity
 * fetches to other subgraphs — through Apollo Gateway's own query-plan executor, so fields
 * owned elsewhere (`user { name tier }`) are resolved for each event exactly as for a query:
 * the same data sources, error handling and result shaping. Events are resolved one at a time,
 * in the order received; each in a span linked to the trace of the write that caused it.
 */
export function startFederatedSubscription(options: FederatedSubscriptionOptions): FederatedSubscription {
  let plan = options.plan;
  let unsubscribe: () => void = () => undefined;
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  let finished = false;
  let upstreamEnd: 'refused' | 'upstream_gone' | undefined;
  // One more than the capacity: the last result that says why it ended always fits.
  const results = createAsyncEventQueue<ExecutionResult>({ capacity: options.capacity + 1, onReturn: () => unsubscribe() });

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

  const resolve = async (event: FormattedExecutionResult): Promise<ExecutionResult> => {
    const traceparent = typeof event.extensions?.traceparent === 'string' ? event.extensions.traceparent : undefined;
    return withLinkedEventSpan(
      'gateway subscription event',
      traceparent,
      {
        'graphql.operation.type': 'subscription',
        ...(options.request.operationName ? { 'graphql.operation.name': options.request.operationName } : {}),
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

  const enqueue = (work: () => Promise<ExecutionResult | null>, last = false) => {
    pending++;
    chain = chain.then(work).then(
      (result) => {
        pending--;
        if (result && !results.ended) results.push(result);
        if (last) results.end();
      },
      (error: unknown) => {
        pending--;
        results.push(
          asErrorResult(
            error instanceof AppError || error instanceof GraphQLError
              ? error
              : new GraphQLError('Internal server error', { originalError: error as Error }),
          ),
        );
        results.end();
      },
    );
  };

  const finish = (last: () => Promise<ExecutionResult | null>) => {
    if (finished) return;
    finished = true;
    unsubscribe();
    enqueue(last, true);
  };

  const sink: UpstreamSink = {
    next(event) {
      if (finished || results.ended) return;
      if (pending + results.size >= options.capacity) {
        finished = true;
        unsubscribe();
        results.end();
        options.onOverflow();
        return;
      }
      enqueue(() => resolve(event));
    },
    error(failure) {
      upstreamEnd = 'errors' in failure ? 'refused' : 'upstream_gone';
      if ('errors' in failure) {
        // The subgraph refused the subscription: its errors go through the plan like an event's.
        finish(() => resolve({ data: null, errors: failure.errors }));
      } else {
        finish(async () =>
          asErrorResult(serviceUnavailable(`The ${plan.primary.serviceName} service is unavailable; subscribe again shortly.`)),
        );
      }
    },
    complete() {
      finish(async () => null);
    },
  };
  unsubscribe = options.upstream.subscribe(
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

  return {
    results,
    replan(next) {
      plan = next;
    },
    end(end) {
      finish(async () => asErrorResult(end.error));
    },
    idle: () => chain,
    backlog: () => pending + results.size,
    upstreamEnd: () => upstreamEnd,
  };
}
