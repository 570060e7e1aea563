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
  /**
   * Tells the outbox relay that a committed transaction wrote events, so it publishes now
   * rather than at its next poll (gateways purge cached products on them: README, Response
   * cache). Default: nothing, the relay's poll picks them up.
   */
  eventsWritten?: () => void;
}
