import { credentials } from '@grpc/grpc-js';
import type { GrpcClientSettings } from '@fedshop/shared/config';
import { callUnary, createResilientCaller, grpcClientOptions, orderV1 } from '@fedshop/shared/grpc';
import type { GrpcMetrics } from '@fedshop/shared/metrics';
import type { Logger } from 'pino';

/** What the users service asks the orders service (order.v1.OrderService over gRPC). */
export interface OrderServiceClient {
  countOpenOrders(userId: string): Promise<number>;
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
    breakerState: () => resilience.state(),
    close: () => client.close(),
  };
}
