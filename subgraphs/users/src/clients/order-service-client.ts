import { credentials } from '@grpc/grpc-js';
import type { GrpcClientSettings } from '@fedshop/shared/config';
import { callUnary, createResilientCaller, grpcClientOptions, orderV1 } from '@fedshop/shared/grpc';
import type { GrpcMetrics } from '@fedshop/shared/metrics';
import type { Logger } from 'pino';

/** Longest wait between attempts to reconnect the feed's channel while orders is unreachable, ms. */
const FEED_MAX_RECONNECT_BACKOFF_MS = 1_000;

/** What the users service asks the orders service (order.v1.OrderService over gRPC). */
export interface OrderServiceClient {
  countOpenOrders(userId: string): Promise<number>;
  /**
   * The next events of the order feed (a long poll of up to `waitMs`). Not retried and outside
   * the circuit breaker: its one caller, the feed consumer, retries with its own backoff, and a
   * feed outage must not fail account deletions.
   */
  listOrderEvents(request: orderV1.ListOrderEventsRequest, signal?: AbortSignal): Promise<orderV1.ListOrderEventsResponse>;
  /** Circuit breaker state of this downstream. */
  breakerState(): 'closed' | 'open' | 'half-open';
  close(): void;
}

/**
 * One long-lived channel to the orders service. Every call carries a deadline; reads are
 * retried on transport failures; a circuit breaker fails calls fast while orders is down.
 */
export function createOrderServiceClient(
  address: string,
  settings: GrpcClientSettings,
  logger: Logger,
  /** Where calls and the breaker's state are measured (the service's registry). */
  metrics?: GrpcMetrics,
): OrderServiceClient {
  const client = new orderV1.OrderServiceClient(address, credentials.createInsecure(), grpcClientOptions(metrics));
  // The feed's long polls get a channel of their own that reconnects within a second of orders
  // coming back (the shared one backs off up to 5 s): loyalty then moves within its bound right
  // after a start or a restart of orders, too.
  const feedClient = new orderV1.OrderServiceClient(address, credentials.createInsecure(), {
    ...grpcClientOptions(metrics),
    'grpc.max_reconnect_backoff_ms': FEED_MAX_RECONNECT_BACKOFF_MS,
  });
  const resilience = createResilientCaller({ downstream: 'orders', logger, ...settings, metrics });
  return {
    async countOpenOrders(userId) {
      // One deadline for the whole call, retries included: a hung peer costs GRPC_DEADLINE_MS, not a multiple.
      const deadlineAt = Date.now() + settings.deadlineMs;
      const response = await resilience.idempotent(() =>
        callUnary(client.countOpenOrders.bind(client), { userId }, { downstream: 'orders', deadlineAt }),
      );
      return response.openOrderCount;
    },
    listOrderEvents(request, signal) {
      // The long poll plus the usual deadline for the answer itself.
      const deadlineAt = Date.now() + request.waitMs + settings.deadlineMs;
      return callUnary(feedClient.listOrderEvents.bind(feedClient), request, { downstream: 'orders', deadlineAt, signal });
    },
    breakerState: () => resilience.state(),
    close: () => {
      client.close();
      feedClient.close();
    },
  };
}
