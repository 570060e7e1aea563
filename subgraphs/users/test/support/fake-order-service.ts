import { REQUEST_ID_METADATA_KEY, orderV1, startGrpcServer, type RunningGrpcServer } from '@fedshop/shared/grpc';
import { captureLogger } from '@fedshop/shared/testing';

export interface FakeOrderService {
  /** `127.0.0.1:<port>`, for ORDER_SERVICE_ADDR. */
  address: string;
  /** The open-order count CountOpenOrders answers per user id; ids not in the map answer 0. */
  openOrders: Map<string, number>;
  /** User ids whose CountOpenOrders calls are never answered (a hung orders service). */
  unanswered: Set<string>;
  /** Every CountOpenOrders call received, in order. */
  calls: { userId: string; requestId: string | undefined }[];
  /**
   * The order events feed ListOrderEvents serves, oldest first (the test appends; sequences
   * must grow). A call with nothing to answer waits up to its wait_ms (at most 200 ms here).
   */
  feed: orderV1.OrderEvent[];
  /** Every ListOrderEvents request received, in order. */
  feedRequests: orderV1.ListOrderEventsRequest[];
  /** Stops answering (the orders service is down); safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The users service's only peer, faked at the network boundary: a real gRPC server
 * implementing order.v1.OrderService on a free port, whose answers the test controls.
 */
export async function startFakeOrderService(): Promise<FakeOrderService> {
  const openOrders = new Map<string, number>();
  const unanswered = new Set<string>();
  const calls: FakeOrderService['calls'] = [];
  const feed: orderV1.OrderEvent[] = [];
  const feedRequests: orderV1.ListOrderEventsRequest[] = [];
  const implementation: orderV1.OrderServiceServer = {
    countOpenOrders: (call, callback) => {
      const userId = call.request.userId;
      calls.push({ userId, requestId: call.metadata.get(REQUEST_ID_METADATA_KEY)[0]?.toString() });
      if (unanswered.has(userId)) return;
      callback(null, { openOrderCount: openOrders.get(userId) ?? 0 });
    },
    listOrderEvents: (call, callback) => {
      const request = call.request;
      feedRequests.push(request);
      const answer = () => {
        const events = feed.filter((event) => event.sequence > request.afterSequence).slice(0, request.limit || 100);
        callback(null, { events, headSequence: feed.at(-1)?.sequence ?? 0 });
      };
      if (feed.some((event) => event.sequence > request.afterSequence)) answer();
      else setTimeout(answer, Math.min(request.waitMs, 200));
    },
  };
  const server: RunningGrpcServer = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    services: [{ definition: orderV1.OrderServiceService, implementation }],
    logger: captureLogger('fake-orders').logger,
  });
  let stopped: Promise<void> | undefined;
  return {
    address: `127.0.0.1:${server.port}`,
    openOrders,
    unanswered,
    calls,
    feed,
    feedRequests,
    stop: () => (stopped ??= server.stop(0)),
  };
}
