import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  GraphQLError,
  OperationTypeNode,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { runInRequestScope } from '../context/request-scope';
import { createGraphQLErrorFormatter } from '../errors/graphql-error-formatter';
import { toContextError } from '../graphql/request-viewer';
import { REQUEST_ID_HEADER } from '../http/request-id';
import type { RequestInfo } from '../http/routes';
import { mapAsyncIterator } from '../live-events/map-async-iterator';
import { withLinkedEventSpan } from '../telemetry/event-trace-context';

/**
 * Where a subscription's resolver puts the W3C `traceparent` of the write an event came from
 * (a symbol: never a field of the schema). The server links each delivery's span to it and
 * passes it on in the result's `extensions.traceparent`, so the gateway links its span too.
 */
export const EVENT_TRACEPARENT = Symbol('fedshop.event.traceparent');

/** The request headers a subscription may carry, as the HTTP endpoint reads them. */
const FORWARDED_HEADERS = ['authorization', REQUEST_ID_HEADER, 'traceparent'] as const;

export interface SubgraphSubscriptionServerOptions<TContext> {
  /** The subgraph's HTTP server: WebSocket upgrades to `path` are taken over. */
  server: Server;
  path: string;
  schema: GraphQLSchema;
  logger: Logger;
  /** The HTTP endpoint's context builder, given the subscription's headers. */
  context: (req: Pick<IncomingMessage, 'headers'>, info: RequestInfo) => Promise<TContext>;
  /** Lexical tokens parsed at most per document. */
  maxTokens: number;
  /** Where `graphql_subscriptions_active` is registered. */
  registry?: Registry;
}

export interface SubgraphSubscriptionServer {
  /** Subscriptions open right now. */
  active(): number;
  /** Ends every connection (1001 Going away): the gateway ends its subscriptions with SERVICE_UNAVAILABLE. */
  close(): Promise<void>;
}

/**
 * The request headers of one subscription: the subscribe message's `extensions.headers`
 * (the gateway multiplexes many callers over one connection, each subscription with its
 * caller's token), else the connection's `connection_init` payload `{"authorization": …}`
 * (a client connected directly). Only the headers the HTTP endpoint reads pass.
 */
function subscriptionHeaders(connectionParams: Record<string, unknown> | undefined, payload: SubscribePayload): IncomingHttpHeaders {
  const fromMessage = (payload.extensions as { headers?: Record<string, unknown> } | undefined)?.headers;
  const source = fromMessage && typeof fromMessage === 'object' ? fromMessage : (connectionParams ?? {});
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(source)) {
    const lower = name.toLowerCase();
    if (typeof value === 'string' && (FORWARDED_HEADERS as readonly string[]).includes(lower)) headers[lower] = value;
  }
  return headers;
}

interface SubscriptionState<TContext> {
  /** A fresh context for each event: loaders never cache across events, and the token is checked again. */
  contextForEvent: () => Promise<TContext>;
  requestId: string;
}

/**
 * GraphQL subscriptions of a subgraph over WebSocket (`graphql-transport-ws`, the graphql-ws
 * protocol) on the same path as its HTTP endpoint, with the same authentication and the same
 * graphql-shield rules: each subscription's context is built by the HTTP endpoint's context
 * builder from its headers, once when it starts (a bad token is refused with its code) and
 * again for every event (fresh loaders; a token that expired, or an account that is gone,
 * ends the subscription with that error). Each event's execution runs in a span linked to the
 * write that caused it. Errors go through the shared formatter: unexpected ones are masked.
 */
export function serveSubgraphSubscriptions<TContext>(options: SubgraphSubscriptionServerOptions<TContext>): SubgraphSubscriptionServer {
  const { logger, schema } = options;
  const format = createGraphQLErrorFormatter({ logger });
  const formatErrors = (errors: readonly GraphQLError[]) => errors.map((error) => format(error.toJSON(), error));
  const states = new WeakMap<object, SubscriptionState<TContext>>();
  let active = 0;
  const requests = options.registry
    ? new Counter({
        name: 'graphql_subscription_requests_total',
        help: 'Subscribe messages received (before any check).',
        registers: [options.registry],
      })
    : undefined;
  if (options.registry) {
    new Gauge({
      name: 'graphql_subscriptions_active',
      help: 'Subscriptions open on this subgraph (their event source started).',
      registers: [options.registry],
      collect() {
        this.set(active);
      },
    });
  }
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== options.path) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  options.server.on('upgrade', onUpgrade);

  const toErrors = (error: unknown): GraphQLError[] => {
    const converted = toContextError(error);
    if (converted instanceof GraphQLError) {
      const { http: _http, ...extensions } = converted.extensions as Record<string, unknown>;
      return [new GraphQLError(converted.message, { originalError: converted.originalError ?? undefined, extensions })];
    }
    return [new GraphQLError('Internal server error', { originalError: error as Error })];
  };

  const server = useServer<Record<string, unknown> | undefined>(
    {
      schema,
      async onSubscribe(ctx, _id, payload) {
        requests?.inc();
        const headers = subscriptionHeaders(ctx.connectionParams, payload);
        const incomingId = headers[REQUEST_ID_HEADER];
        const requestId = typeof incomingId === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(incomingId) ? incomingId : randomUUID();
        const info: RequestInfo = { requestId, url: new URL(options.path, 'http://localhost'), logger };
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: options.maxTokens });
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
        }
        const validationErrors = validate(schema, document);
        if (validationErrors.length > 0) return [...validationErrors];
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('Unable to identify the operation.', { extensions: { code: 'BAD_REQUEST' } })];
        if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
          return [
            new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP.', {
              extensions: { code: 'BAD_REQUEST' },
            }),
          ];
        }
        const contextForEvent = () => runInRequestScope({ requestId }, () => options.context({ headers }, info));
        let contextValue: TContext;
        try {
          contextValue = await contextForEvent();
        } catch (error) {
          return toErrors(error);
        }
        states.set(contextValue as object, { contextForEvent, requestId });
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        } satisfies ExecutionArgs;
      },
      async subscribe(args) {
        const state = states.get(args.contextValue as object)!;
        const stream = await runInRequestScope({ requestId: state.requestId }, () => createSourceEventStream(args));
        if (!(Symbol.asyncIterator in stream)) return stream;
        active++;
        return deliverEvents(stream, args, state, () => active--);
      },
      onNext(_ctx, _id, _payload, _args, result) {
        return result.errors ? { ...result, errors: formatErrors(result.errors) } : result;
      },
      onError(_ctx, _id, _payload, errors) {
        return formatErrors(errors);
      },
    },
    wss,
  );

  /** Executes the selection for each event, each in a span linked to its write; ends after an event whose context failed. */
  function deliverEvents(stream: AsyncIterable<unknown>, args: ExecutionArgs, state: SubscriptionState<TContext>, onEnd: () => void) {
    return mapAsyncIterator<unknown, ExecutionResult>(
      stream[Symbol.asyncIterator](),
      (payload) => {
        const traceparent = (payload as { [EVENT_TRACEPARENT]?: string })[EVENT_TRACEPARENT];
        return withLinkedEventSpan('subscription event', traceparent, { 'graphql.operation.type': 'subscription' }, async () => {
          let contextValue: TContext;
          try {
            contextValue = await state.contextForEvent();
          } catch (error) {
            return { value: { errors: toErrors(error) }, last: true };
          }
          const result = await runInRequestScope({ requestId: state.requestId }, () =>
            execute({ ...args, rootValue: payload, contextValue }),
          );
          return { value: traceparent ? { ...result, extensions: { ...result.extensions, traceparent } } : result };
        });
      },
      onEnd,
    );
  }

  return {
    active: () => active,
    async close() {
      options.server.off('upgrade', onUpgrade);
      await server.dispose();
    },
  };
}
