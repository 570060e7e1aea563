import { outsideRequestScope } from '@fedshop/shared/context';
import { type orderV1, unaryHandler } from '@fedshop/shared/grpc';
import type { Logger } from 'pino';
import { countOpenOrders } from '../use-cases/manage-orders';
import type { OrdersDependencies } from '../use-cases/dependencies';
import { readOrderFeed, type OrderFeedDependencies } from '../use-cases/read-order-feed';

/** order.v1.OrderService: the questions other services may ask about orders, and the order events feed. */
export function createOrderServiceHandlers(
  deps: OrdersDependencies,
  feed: OrderFeedDependencies,
  logger: Logger,
): orderV1.OrderServiceServer {
  return {
    countOpenOrders: unaryHandler(logger, 'order.v1.OrderService/CountOpenOrders', async (request: orderV1.CountOpenOrdersRequest) => ({
      openOrderCount: await countOpenOrders(deps, request.userId),
    })),
    listOrderEvents: unaryHandler(
      logger,
      'order.v1.OrderService/ListOrderEvents',
      async (request: orderV1.ListOrderEventsRequest, call): Promise<orderV1.ListOrderEventsResponse> => {
        // A consumer's long poll is background work, not a request someone waits on: its
        // statements count as `origin="background"` (db_client_statements_total), as the relay's do.
        const page = await outsideRequestScope(() => readOrderFeed(feed, request, call.signal));
        return {
          headSequence: page.headSequence,
          events: page.events.map((event) => ({
            sequence: event.sequence,
            eventId: event.id,
            subject: event.subject,
            payload: Buffer.from(event.payload),
            traceparent: event.traceparent ?? '',
            redelivered: event.redelivered,
            recordedAt: event.recordedAt,
          })),
        };
      },
      // A consumer long-polls all day: its calls are not worth a line each (failures still are).
      { successLogLevel: 'debug' },
    ),
  };
}
