import type { IncomingMessage, ServerResponse } from 'node:http';
import { runInRequestScope } from '@fedshop/shared/context';
import { AppError } from '@fedshop/shared/errors';
import type { RequestInfo } from '@fedshop/shared/http';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { clientAddress, type TrustedProxies } from '../edge/client-address';
import type { SubscriptionEnd } from './federated-subscription';
import { SubscriptionRefusal, type SubscriptionAdmission, type SubscriptionRequest } from './subscription-admission';
import type { SubscriptionMetrics } from './subscription-metrics';
import type { ActiveSubscription, SubscriptionService } from './subscription-service';

export interface SseTransportOptions {
  admission: SubscriptionAdmission;
  service: SubscriptionService;
  trustedProxies: TrustedProxies;
  metrics: SubscriptionMetrics;
  logger: Logger;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** The per-address connection cap, for the refusal's `limit`. */
  connectionsPerAddress: number;
  /** A comment line this often keeps proxies from closing an idle stream, ms. Default 12000. */
  keepAliveMs?: number;
  /** Bytes written but not yet sent to one client before it is disconnected as too slow. Default 1 MiB. */
  maxBufferedBytes?: number;
  now?: () => number;
}

/** Reads the GraphQL request from a POST body or GET parameters (GraphQL over HTTP). */
function readRequest(req: IncomingMessage, info: RequestInfo, body: unknown): SubscriptionRequest {
  if (req.method === 'GET') {
    const params = info.url.searchParams;
    const json = (name: string) => {
      const value = params.get(name);
      if (value === null) return undefined;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return null;
      }
    };
    return {
      query: params.get('query') ?? undefined,
      operationName: params.get('operationName') ?? undefined,
      variables: json('variables'),
      extensions: json('extensions'),
    };
  }
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as SubscriptionRequest) : {};
}

/**
 * Subscriptions over Server-Sent Events on the gateway's `/graphql` (GraphQL over SSE,
 * "distinct connections" mode: one stream per subscription): a POST (or GET) with
 * `Accept: text/event-stream` and the `Authorization` header. Refusals are plain HTTP answers
 * with the GraphQL errors (401 bad token, 429 caps and rate limits, 400 invalid), before
 * anything reaches a subgraph; an admitted subscription streams `next` events and ends with
 * `complete`. Its last `next` says why when the gateway ends it (token expired, schema
 * reload, subgraph gone, shutdown).
 */
export function createSseTransport(options: SseTransportOptions) {
  const { service, metrics } = options;
  const keepAliveMs = options.keepAliveMs ?? 12_000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const now = options.now ?? Date.now;
  const streams = new Set<{ subscription: ActiveSubscription; res: ServerResponse }>();

  const refuse = (res: ServerResponse, refusal: SubscriptionRefusal) => {
    const errors = refusal.errors.map((error) => options.formatError(error.toJSON(), error));
    res.writeHead(refusal.status, { 'content-type': 'application/json; charset=utf-8', ...refusal.headers });
    res.end(JSON.stringify({ errors }));
  };

  return {
    async handle(req: IncomingMessage, res: ServerResponse, info: RequestInfo, body?: unknown): Promise<void> {
      const address = clientAddress(req, options.trustedProxies);
      let caller;
      try {
        caller = await options.admission.authenticate(req.headers.authorization, address);
      } catch (error) {
        if (error instanceof SubscriptionRefusal) return refuse(res, error);
        throw error;
      }
      if (!service.openConnection(address, 'sse')) {
        const error = service.accepting
          ? new AppError('TOO_MANY_CONNECTIONS', 'Too many open connections from this address.', { limit: options.connectionsPerAddress })
          : new AppError('SERVICE_UNAVAILABLE', 'The gateway is shutting down; subscribe again.', { retryable: true });
        return refuse(
          res,
          new SubscriptionRefusal([new GraphQLError(error.message, { originalError: error })], service.accepting ? 429 : 503),
        );
      }
      let subscription: ActiveSubscription;
      try {
        const admitted = await options.admission.admit(caller, readRequest(req, info, body), now());
        subscription = service.start(caller, admitted, {
          transport: 'sse',
          requestId: info.requestId,
          onOverflow: () => {
            metrics.slowConsumers.inc({ transport: 'sse' });
            res.destroy();
          },
        });
      } catch (error) {
        service.closeConnection(address, 'sse');
        if (error instanceof SubscriptionRefusal) return refuse(res, error);
        throw error;
      }
      const entry = { subscription, res };
      streams.add(entry);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        // Proxies (nginx) must pass events on at once.
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      const keepAlive = setInterval(() => res.write(':\n\n'), keepAliveMs);
      const expiry =
        caller.validUntilMs !== null
          ? setTimeout(() => service.expire([subscription]), Math.min(2 ** 31 - 1, Math.max(0, caller.validUntilMs - now())))
          : undefined;
      expiry?.unref();
      // The client went away: stop (the upstream subscription ends with it).
      res.on('close', () => void subscription.results.return?.());
      try {
        await runInRequestScope({ requestId: info.requestId, ...(caller.viewer ? { userId: caller.viewer.id } : {}) }, async () => {
          for await (const result of subscription.results) {
            if (res.destroyed) break;
            res.write(`event: next\ndata: ${JSON.stringify(result)}\n\n`);
            if (res.writableLength > maxBufferedBytes) {
              metrics.slowConsumers.inc({ transport: 'sse' });
              res.destroy();
              break;
            }
          }
        });
        if (!res.destroyed) res.end('event: complete\ndata:\n\n');
      } finally {
        clearInterval(keepAlive);
        clearTimeout(expiry);
        streams.delete(entry);
        service.closeConnection(address, 'sse');
      }
    },

    /** Ends every stream with its last event saying why (shutdown). */
    endAll(end: () => SubscriptionEnd): void {
      for (const { subscription } of streams) subscription.end(end());
    },

    /** Streams open now. */
    size: () => streams.size,
  };
}

export type SseTransport = ReturnType<typeof createSseTransport>;
