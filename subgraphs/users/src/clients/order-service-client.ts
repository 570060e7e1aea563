import { credentials } from '@grpc/grpc-js';
import { callUnary, GRPC_CLIENT_OPTIONS, orderV1 } from '@fedshop/shared';

/** What the users service asks the orders service (order.v1.OrderService over gRPC). */
export interface OrderServiceClient {
  countOpenOrders(userId: string, requestId?: string): Promise<number>;
  close(): void;
}

/** One long-lived channel to the orders service; every call carries a deadline. */
export function createOrderServiceClient(address: string, deadlineMs: number): OrderServiceClient {
  const client = new orderV1.OrderServiceClient(address, credentials.createInsecure(), GRPC_CLIENT_OPTIONS);
  return {
    async countOpenOrders(userId, requestId) {
      const response = await callUnary(client.countOpenOrders.bind(client), { userId }, {
        downstream: 'orders',
        deadlineMs,
        requestId,
      });
      return response.openOrderCount;
    },
    close: () => client.close(),
  };
}
