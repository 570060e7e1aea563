import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { runInRequestScope } from '@fedshop/shared/context';
import { REQUEST_ID_HEADER } from '@fedshop/shared/http';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, handleProtocols, makeServer, type ConnectionInitMessage } from 'graphql-ws';
import { GraphQLError, type ExecutionArgs, type ExecutionResult, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { clientAddress, type TrustedProxies } from '../edge/client-address';
import { CLOSE_CODES } from './close-codes';
import { SubscriptionRefusal, type SubscriptionAdmission, type SubscriptionCaller } from './subscription-admission';
import type { SubscriptionMetrics } from './subscription-metrics';
import type { ActiveSubscription, SubscriptionService } from './subscription-service';

export interface WebSocketTransportOptions {
  server: Server;
  /** Where subscriptions are served: the GraphQL endpoint's own path. */
  path: string;
  admission: SubscriptionAdmission;
  service: SubscriptionService;
  trustedProxies: TrustedProxies;
  metrics: SubscriptionMetrics;
  logger: Logger;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Ping interval, ms; no pong within as long closes the connection (dead clients are noticed). Default 12000. */
  keepAliveMs?: number;
  /** Bytes written but not yet sent to one client before it is disconnected as too slow. Default 1 MiB. */
  maxBufferedBytes?: number;
  now?: () => number;
}

interface ConnectionExtra {
  socket: WebSocket;
  request: IncomingMessage;
  address: string;
  requestId: string;
  caller?: SubscriptionCaller;
  /** By graphql-ws subscription id. */
  subscriptions: Map<string, ActiveSubscription>;
  expiry?: NodeJS.Timeout;
}

/**
 * The token of a `connection_init` payload: `authorization` at its top (any case), or under
 * `headers` (the shape clients that copy their HTTP headers into the payload send).
 */
export function authorizationOf(params: Record<string, unknown> | undefined): unknown {
  const find = (source: unknown) =>
    source && typeof source === 'object'
      ? Object.entries(source as Record<string, unknown>).find(([name]) => name.toLowerCase() === 'authorization')?.[1]
      : undefined;
  return find(params) ?? find(params?.headers);
}

/** Sets a timer that may be far off (setTimeout caps at about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Subscriptions over WebSocket (graphql-transport-ws, the protocol of graphql-ws and Apollo
 * Sandbox) on the gateway's `/graphql`, next to queries and mutations over HTTP on the same
 * port. The token comes in `connection_init` (`{"authorization": "Bearer …"}`) and is verified
 * before anything else (4401 when bad); each subscribe passes the edge checks
 * (subscription-admission.ts) and the caps; the connection is closed with a documented code
 * (close-codes.ts) when its token expires, its client falls behind, its address has too many
 * connections, or the gateway shuts down.
 */
export function attachWebSocketTransport(options: WebSocketTransportOptions) {
  const { service, metrics, logger } = options;
  const keepAliveMs = options.keepAliveMs ?? 12_000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const now = options.now ?? Date.now;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, handleProtocols });
  const sockets = new Set<WebSocket>();

  const formatErrors = (errors: readonly GraphQLError[]) => errors.map((error) => options.formatError(error.toJSON(), error));

  const slowConsumer = (socket: WebSocket) => {
    if (socket.readyState !== socket.OPEN) return;
    metrics.slowConsumers.inc({ transport: 'ws' });
    socket.close(CLOSE_CODES.slowConsumer, 'Slow consumer: events were not read fast enough');
  };

  /** The token expired: its subscriptions end with UNAUTHENTICATED (sent), then the connection closes 4401. */
  const expire = async (extra: ConnectionExtra) => {
    service.expire([...extra.subscriptions.values()]);
    const deadline = now() + 2_000;
    while (extra.subscriptions.size > 0 && now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    if (extra.socket.readyState === extra.socket.OPEN) extra.socket.close(CLOSE_CODES.unauthenticated, 'The access token has expired');
  };

  const server = makeServer<ConnectionInitMessage['payload'], ConnectionExtra>({
    connectionInitWaitTimeout: 10_000,
    async onConnect(ctx) {
      const extra = ctx.extra;
      const authorization = authorizationOf(ctx.connectionParams);
      try {
        extra.caller = await options.admission.authenticate(authorization, extra.address);
      } catch (error) {
        const message = error instanceof SubscriptionRefusal ? error.message : 'Unauthorized';
        extra.socket.close(CLOSE_CODES.unauthenticated, message.slice(0, 120));
        return false;
      }
      const validUntil = extra.caller.validUntilMs;
      if (validUntil !== null) {
        extra.expiry = setTimeout(() => void expire(extra), Math.min(MAX_TIMER_MS, Math.max(0, validUntil - now())));
        extra.expiry.unref();
      }
      return true;
    },
    async onSubscribe(ctx, id, payload) {
      const extra = ctx.extra;
      const requestId = `${extra.requestId}:${id}`.slice(0, 128);
      return runInRequestScope({ requestId, ...(extra.caller?.viewer ? { userId: extra.caller.viewer.id } : {}) }, async () => {
        try {
          const admitted = await options.admission.admit(extra.caller!, payload, now());
          const subscription = service.start(extra.caller!, admitted, {
            transport: 'ws',
            requestId,
            onOverflow: () => slowConsumer(extra.socket),
          });
          extra.subscriptions.set(id, subscription);
          return {
            schema: admitted.plan.version.schema,
            document: admitted.document,
            operationName: admitted.operationName,
            variableValues: admitted.variables,
            contextValue: { subscription },
          } satisfies ExecutionArgs;
        } catch (error) {
          if (error instanceof SubscriptionRefusal) return error.errors;
          throw error;
        }
      });
    },
    subscribe(args) {
      // Our results are formatted already (subscription-service.ts); graphql-ws sends each as it is.
      return (args.contextValue as { subscription: ActiveSubscription }).subscription.results as unknown as AsyncIterable<ExecutionResult>;
    },
    execute() {
      // onSubscribe refuses anything but subscriptions.
      return { errors: [new GraphQLError('Only subscriptions are served here.')] };
    },
    onNext(ctx, _id, _payload, _args, result) {
      // Results are formatted already (subscription-service.ts); a client whose socket holds
      // too much unsent data is cut off rather than buffered for.
      if (ctx.extra.socket.bufferedAmount > maxBufferedBytes) slowConsumer(ctx.extra.socket);
      return result as FormattedExecutionResult;
    },
    onError(_ctx, _id, _payload, errors) {
      return formatErrors(errors);
    },
    onComplete(ctx, id) {
      ctx.extra.subscriptions.delete(id);
    },
  });

  const accept = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const address = clientAddress(req, options.trustedProxies);
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (!service.accepting) {
        ws.close(CLOSE_CODES.serviceRestart, 'The gateway is restarting; reconnect');
        return;
      }
      if (ws.protocol === GRAPHQL_TRANSPORT_WS_PROTOCOL && !service.openConnection(address, 'ws')) {
        ws.close(CLOSE_CODES.tooManyConnections, 'TOO_MANY_CONNECTIONS: too many connections from this address');
        return;
      }
      const counted = ws.protocol === GRAPHQL_TRANSPORT_WS_PROTOCOL;
      const incomingId = req.headers[REQUEST_ID_HEADER];
      const extra: ConnectionExtra = {
        socket: ws,
        request: req,
        address,
        requestId: typeof incomingId === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(incomingId) ? incomingId : service.newRequestId(),
        subscriptions: new Map(),
      };
      sockets.add(ws);
      // Keep-alive: a ping every interval; no pong before the next one means the client is gone.
      let alive = true;
      ws.on('pong', () => (alive = true));
      const pinger = setInterval(() => {
        if (!alive) return ws.terminate();
        alive = false;
        ws.ping();
      }, keepAliveMs);
      const closed = server.opened(
        {
          protocol: ws.protocol,
          send: (data) =>
            new Promise<void>((resolve, reject) => {
              if (ws.readyState !== ws.OPEN) return resolve();
              ws.send(data, (error) => (error ? reject(error) : resolve()));
            }),
          close: (code, reason) => ws.close(code, reason),
          onMessage: (handle) =>
            ws.on('message', async (data) => {
              try {
                // binaryType is ws's default, nodebuffer: each message arrives as one Buffer.
                await handle((data as Buffer).toString('utf8'));
              } catch (error) {
                logger.error({ err: error, requestId: extra.requestId }, 'subscriptions: unexpected error on a WebSocket');
                ws.close(4500, 'Internal server error');
              }
            }),
        },
        extra,
      );
      ws.once('error', () => ws.terminate());
      ws.once('close', (code, reason) => {
        clearInterval(pinger);
        clearTimeout(extra.expiry);
        sockets.delete(ws);
        if (counted) service.closeConnection(address, 'ws');
        void closed(code, reason.toString());
      });
    });
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== options.path) {
      socket.destroy();
      return;
    }
    accept(req, socket, head);
  };
  options.server.on('upgrade', onUpgrade);

  return {
    /** Closes every connection with `code` (after the caller let in-flight events go out). */
    closeAll(code: number, reason: string): void {
      for (const socket of sockets) socket.close(code, reason);
    },
    /** Resolves once every socket has sent what it was given, or at `deadline`. */
    async flushed(deadline: number): Promise<void> {
      while (now() < deadline && [...sockets].some((socket) => socket.bufferedAmount > 0))
        await new Promise((resolve) => setTimeout(resolve, 20));
    },
    /** Waits for the connections to be gone (or `deadline`), then cuts the rest. */
    async closed(deadline: number): Promise<void> {
      while (now() < deadline && sockets.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      for (const socket of sockets) socket.terminate();
      options.server.off('upgrade', onUpgrade);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export type WebSocketTransport = ReturnType<typeof attachWebSocketTransport>;
