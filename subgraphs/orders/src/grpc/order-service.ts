import { orderV1, unaryHandler } from '@fedshop/shared/grpc';
import type { Logger } from 'pino';
import { countOpenOrders } from '../use-cases/manage-orders';
import type { OrdersDependencies } from '../use-cases/dependencies';

/** order.v1.OrderService: the questions other services may ask about orders. */
export function createOrderServiceHandlers(deps: OrdersDependencies, logger: Logger): orderV1.OrderServiceServer {
  return {
    countOpenOrders: unaryHandler(logger, 'order.v1.OrderService/CountOpenOrders', async (request: orderV1.CountOpenOrdersRequest) => ({
      openOrderCount: await countOpenOrders(deps, request.userId),
    })),
  };
}
