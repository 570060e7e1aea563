import type { Logger } from 'pino';
import type { UserServiceClient } from '../clients/user-service-client';
import type { OrderRepository } from '../repositories/order-repository';
import type { ProductRepository } from '../repositories/product-repository';

/** Everything the orders use cases need, injected once at start (tests pass their own). */
export interface OrdersDependencies {
  orders: OrderRepository;
  products: ProductRepository;
  users: UserServiceClient;
  logger: Logger;
}
